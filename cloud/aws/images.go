package aws

import "strings"

// neuronDLAMI is AWS's Neuron multi-framework Deep Learning AMI for Ubuntu
// 22.04, which SkyPilot's neuron tag stands for: owned by Amazon, one
// release a date (the name ends in YYYYMMDD).
var neuronDLAMI = map[string]any{
	"owners": []string{"amazon"},
	"name":   "Deep Learning AMI Neuron (Ubuntu 22.04) ????????",
}

// imageLookup is the ami_lookup a catalog image tag resolves to in
// Terraform (nil: the catalog's pinned ID, ami_id).
//
//   - Neuron (inf2, trn1, trn1n, trn2): AWS's current Neuron DLAMI by owner
//     and name, so the image follows Neuron SDK releases (ignore_ami_changes
//     keeps running nodes on theirs).
//   - inf1 keeps the catalog's pinned ID: Neuron DLAMIs from SDK 2.26.1 on
//     no longer support Inf1, and no name filter selects "before 2.26.1".
//   - SkyPilot's own images (custom-cpu/gpu-ubuntu…): pinned; the catalog
//     names no owner to check a lookup against, and an AMI ID never points
//     at another image.
func imageLookup(tag, instanceType string) any {
	fam := strings.SplitN(instanceType, ".", 2)[0]
	if tag == "skypilot:neuron-ubuntu-2204" && fam != "inf1" && (strings.HasPrefix(fam, "inf") || strings.HasPrefix(fam, "trn")) {
		return neuronDLAMI
	}
	return nil
}
