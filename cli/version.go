package cli

import (
	"fmt"
	"runtime"

	"github.com/urfave/cli/v2"
)

func init() {
	register(func(io *IO) *cli.Command {
		return &cli.Command{
			Name:  "version",
			Usage: "print skyplan's version",
			Action: func(*cli.Context) error {
				io.useView("text")
				fmt.Fprintf(io.Out, "skyplan %s (%s, %s/%s)\n", Version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
				return nil
			},
		}
	})
}
