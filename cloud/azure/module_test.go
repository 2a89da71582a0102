package azure

import "testing"

// Moved from compiler/compile_test.go with the Azure module code.
func TestPremium(t *testing.T) {
	if !premium("Standard_NC6s_v3") || premium("Standard_NV6") || !premium("Standard_NC24ads_A100_v4") {
		t.Error("azure premium storage detection")
	}
}
