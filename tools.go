//go:build tools

// Package tools pins the libraries skyplan is built on, so `go mod tidy`
// keeps them in go.mod while packages that use them are being written.
package tools

import (
	_ "github.com/hashicorp/hc-install"
	_ "github.com/hashicorp/hcl/v2/hclwrite"
	_ "github.com/hashicorp/terraform-exec/tfexec"
	_ "github.com/hashicorp/terraform-json"
	_ "github.com/rogpeppe/go-internal/testscript"
	_ "github.com/urfave/cli/v2"
	_ "github.com/zclconf/go-cty/cty"
	_ "go.yaml.in/yaml/v3"
	_ "golang.org/x/crypto/ssh"
	_ "golang.org/x/crypto/ssh/agent"
	_ "golang.org/x/crypto/ssh/knownhosts"
	_ "golang.org/x/term"
	_ "modernc.org/sqlite"
)
