package aws

import (
	"strings"

	"github.com/hashicorp/hcl/v2/hclwrite"
	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/templates"
	"github.com/zclconf/go-cty/cty"
)

var _ cloud.TagFinder = Cloud{}

// FindModule is templates/find/aws.tf: one region's instances that carry
// a skyplan-cluster tag.
func (Cloud) FindModule() []byte { b, _ := templates.Find("aws"); return b }

// FindProviders pins hashicorp/aws as cluster roots do and writes one
// provider per region, aliased by the region's name (us-east-1 →
// aws.us_east_1), with skyplan's fast retry budget.
func (Cloud) FindProviders(b *hclwrite.Body, regions []string, skipAccountChecks bool) (map[string]string, error) {
	tf := b.AppendNewBlock("terraform", nil).Body()
	tf.AppendNewBlock("required_providers", nil).Body().SetAttributeValue("aws", cty.ObjectVal(map[string]cty.Value{
		"source": cty.StringVal("hashicorp/aws"), "version": cty.StringVal(ProviderVersion)}))
	refs := map[string]string{}
	for _, r := range regions {
		alias := strings.ReplaceAll(r, "-", "_")
		b.AppendNewline()
		pb := b.AppendNewBlock("provider", []string{"aws"}).Body()
		pb.SetAttributeValue("alias", cty.StringVal(alias))
		pb.SetAttributeValue("region", cty.StringVal(r))
		pb.SetAttributeValue("max_retries", cty.NumberIntVal(FastMaxRetries))
		if skipAccountChecks {
			pb.SetAttributeValue("skip_credentials_validation", cty.True)
			pb.SetAttributeValue("skip_requesting_account_id", cty.True)
			pb.SetAttributeValue("skip_metadata_api_check", cty.True)
		}
		refs[r] = "aws." + alias
	}
	return refs, nil
}

// FindRunning: "pending" and "running" instances are nodes that run (and
// bill); "stopping" and "stopped" ones are a stopped cluster.
func (Cloud) FindRunning(state string) bool { return state == "pending" || state == "running" }
