// Command skyplan plans, compiles and runs ML tasks on any cloud.
package main

import (
	"os"

	"github.com/skyplan/skyplan/cli"
)

func main() { os.Exit(cli.Main()) }
