package aws

import "testing"

// Moved from compiler/compile_test.go with the AWS module code.
func TestImageTag(t *testing.T) {
	if got := imageTag("g5g.xlarge", "T4G"); got != "skypilot:custom-gpu-ubuntu-arm64" {
		t.Errorf("graviton GPU tag = %s", got)
	}
	if got := imageTag("trn1.32xlarge", "Trainium"); got != "skypilot:neuron-ubuntu-2204" {
		t.Errorf("trainium tag = %s", got)
	}
}

func TestEFAInterfaces(t *testing.T) {
	if EFAInterfaces("p5.48xlarge") != 32 || EFAInterfaces("g5.8xlarge") != 1 || EFAInterfaces("m6i.large") != 0 {
		t.Errorf("EFA interfaces: p5 %d, g5.8xlarge %d, m6i.large %d", EFAInterfaces("p5.48xlarge"), EFAInterfaces("g5.8xlarge"), EFAInterfaces("m6i.large"))
	}
}
