package runner

import (
	"bufio"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
)

// Ignore files, as SkyPilot's workdir rsync: .skyignore files when the
// workdir root has one, else .gitignore files plus .git/info/exclude.
const (
	SkyIgnoreFile = ".skyignore"
	GitIgnoreFile = ".gitignore"
)

// ignoreRule is one gitignore pattern, relative to the directory (base)
// of the file it came from.
type ignoreRule struct {
	base    string // slash path relative to the walk root; "" = root
	re      *regexp.Regexp
	negate  bool
	dirOnly bool
	// anchored patterns match the path below base; others the base name.
	anchored bool
}

// Ignorer decides which paths of a tree are left out, with gitignore
// semantics: last matching rule wins, `!` re-includes, a trailing `/`
// matches directories only, a pattern with an inner `/` is relative to its
// file's directory, `**` spans directories. Files inside an ignored
// directory cannot be re-included (the directory is not descended).
type Ignorer struct {
	file  string // per-directory file name read while walking
	rules []ignoreRule
}

// NewIgnorer picks the ignore mode for root and loads root-level rules
// (.git/info/exclude in .gitignore mode).
func NewIgnorer(root string) *Ignorer {
	ig := &Ignorer{file: GitIgnoreFile}
	if _, err := os.Stat(filepath.Join(root, SkyIgnoreFile)); err == nil {
		ig.file = SkyIgnoreFile
		return ig
	}
	if f, err := os.Open(filepath.Join(root, ".git", "info", "exclude")); err == nil {
		ig.addFrom(f, "")
		f.Close()
	}
	return ig
}

// LoadDir reads the ignore file of directory rel (slash path) if present.
func (ig *Ignorer) LoadDir(root, rel string) {
	f, err := os.Open(filepath.Join(root, filepath.FromSlash(rel), ig.file))
	if err != nil {
		return
	}
	defer f.Close()
	ig.addFrom(f, rel)
}

func (ig *Ignorer) addFrom(f *os.File, base string) {
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		ig.AddPattern(base, sc.Text())
	}
}

// AddPattern adds one line of an ignore file found in directory base.
func (ig *Ignorer) AddPattern(base, line string) {
	line = strings.TrimRight(line, "\r")
	// Trailing spaces are ignored unless escaped.
	for strings.HasSuffix(line, " ") && !strings.HasSuffix(line, `\ `) {
		line = line[:len(line)-1]
	}
	if line == "" || strings.HasPrefix(line, "#") {
		return
	}
	r := ignoreRule{base: base}
	if strings.HasPrefix(line, "!") {
		r.negate = true
		line = line[1:]
	} else if strings.HasPrefix(line, `\!`) || strings.HasPrefix(line, `\#`) {
		line = line[1:]
	}
	if strings.HasSuffix(line, "/") {
		r.dirOnly = true
		line = strings.TrimRight(line, "/")
	}
	if line == "" {
		return
	}
	if strings.Contains(line, "/") {
		r.anchored = true
		line = strings.TrimPrefix(line, "/")
	}
	re, err := regexp.Compile("^" + globToRegexp(line) + "$")
	if err != nil {
		return // an unparseable pattern matches nothing, as in git
	}
	r.re = re
	ig.rules = append(ig.rules, r)
}

// Ignored reports whether rel (slash path from the root) is left out.
func (ig *Ignorer) Ignored(rel string, isDir bool) bool {
	ignored := false
	for _, r := range ig.rules {
		sub := rel
		if r.base != "" {
			if !strings.HasPrefix(rel, r.base+"/") {
				continue
			}
			sub = rel[len(r.base)+1:]
		}
		if r.dirOnly && !isDir {
			continue
		}
		target := sub
		if !r.anchored {
			target = path.Base(sub)
		}
		if r.re.MatchString(target) {
			ignored = !r.negate
		}
	}
	return ignored
}

// globToRegexp translates a gitignore glob to a regular expression.
func globToRegexp(g string) string {
	var b strings.Builder
	for i := 0; i < len(g); i++ {
		c := g[i]
		switch {
		case c == '*' && strings.HasPrefix(g[i:], "**/"):
			b.WriteString("(?:.*/)?")
			i += 2
		case c == '*' && strings.HasPrefix(g[i:], "**") && i+2 == len(g):
			b.WriteString(".*")
			i++
		case c == '*':
			b.WriteString("[^/]*")
		case c == '?':
			b.WriteString("[^/]")
		case c == '[':
			j := strings.IndexByte(g[i+1:], ']')
			if j < 0 {
				b.WriteString(`\[`)
				continue
			}
			class := g[i+1 : i+1+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + strings.ReplaceAll(class, `\`, `\\`) + "]")
			i += j + 1
		case c == '\\' && i+1 < len(g):
			i++
			b.WriteString(regexp.QuoteMeta(string(g[i])))
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}
