package cluster

import (
	"os"
	"path/filepath"

	"github.com/skyplan/skyplan/runner"
)

// PackLocalSource archives a task's local source for copying to another
// machine (the controller VM): a directory's contents as a workdir sync
// sends them (.skyignore / .gitignore honoured), or one file under its own
// name. The caller removes the temporary tar file.
func PackLocalSource(local string) (string, error) {
	fi, err := os.Stat(local)
	if err != nil {
		return "", err
	}
	if fi.IsDir() {
		p, _, err := runner.TarTree(local, true)
		return p, err
	}
	return runner.TarFile(local, filepath.Base(local))
}
