package azure

import "testing"

// Moved from optimizer/optimize_test.go with the family parser.
func TestAzureFamily(t *testing.T) {
	for in, want := range map[string]string{
		"Standard_D8s_v5": "Ds_v5", "Standard_E4s_v5": "Es_v5", "Standard_F4s_v2": "Fs_v2",
		"Standard_E4-2s_v5": "E_s_v5", "Standard_D8as_v5": "Das_v5", "Standard_NC4as_T4_v3": "NCas_T4_v3",
		"Standard_D2s_v5_Promo": "Ds_v5", "Basic_A1": "Basic_A1",
	} {
		if got := Family(in); got != want {
			t.Errorf("Family(%s) = %s, want %s", in, got, want)
		}
	}
}
