// Package registry is the one place skyplan's clouds are listed, in the
// order every table, loop and tie-break uses (cloud.All). A package that
// asks the cloud registry imports this one for its side effect.
//
// Adding a cloud: one line here (see docs/architecture.md, "Adding a cloud").
package registry

import (
	"github.com/skyplan/skyplan/cloud"
	"github.com/skyplan/skyplan/cloud/aws"
	"github.com/skyplan/skyplan/cloud/azure"
	"github.com/skyplan/skyplan/cloud/gcp"
	"github.com/skyplan/skyplan/cloud/sshpool"
)

func init() {
	cloud.Register(aws.Cloud{})
	cloud.Register(gcp.Cloud{})
	cloud.Register(azure.Cloud{})
	cloud.Register(sshpool.Cloud{})
}
