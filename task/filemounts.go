package task

import (
	"fmt"
	"github.com/skyplan/skyplan/cloud"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/skyplan/skyplan/diag"
	"go.yaml.in/yaml/v3"
)

var storageFields = []string{"name", "source", "store", "mode", "persistent", "config", "type",
	"_is_sky_managed", "_bucket_sub_path", "_force_delete"}

var storeTypes = []string{"s3", "gcs", "azure", "r2", "ibm", "oci", "nebius", "coreweave", "vastdata", "volume"}
var storageModes = []string{"MOUNT", "COPY", "MOUNT_CACHED"}

// rawSubst keeps the values $VAR substitution applies to, as written.
type rawSubst struct {
	workdir    *Workdir
	fileMounts []FileMount
	service    *Service
	volumes    any
}

// IsCloudURI reports whether s names a bucket (s3://, gs://, https://...).
// It is cloud.IsCloudURI, the one definition the runner uses too.
func IsCloudURI(s string) bool { return cloud.IsCloudURI(s) }

// parseWorkdir reads a local path or {url, ref}.
func (p *parser) parseWorkdir(n *yaml.Node) *Workdir {
	n = deref(n)
	if isNull(n) {
		return nil
	}
	if n.Kind == yaml.MappingNode {
		pairs, _ := p.mapping(n, "workdir", "workdir", []string{"url", "ref"})
		w := &Workdir{}
		for _, pr := range pairs {
			p.record(pr.path, pr.val)
			s, _ := p.str(pr.val, pr.path)
			if pr.name == "url" {
				w.URL = s
			} else {
				w.Ref = s
			}
		}
		if w.URL == "" {
			p.errorf(n, "workdir.url", "Missing workdir url", "A git workdir needs url (and optionally ref), e.g. {url: https://github.com/org/repo, ref: main}.")
		}
		return w
	}
	s, ok := p.str(n, "workdir")
	if !ok {
		return nil
	}
	return &Workdir{Path: s}
}

// parseFileMounts reads {dst: src} and {dst: {storage spec}}.
func (p *parser) parseFileMounts(n *yaml.Node) []FileMount {
	if isNull(n) {
		return nil
	}
	pairs, ok := p.mapping(n, "file_mounts", "file_mounts", nil)
	if !ok {
		return nil
	}
	var out []FileMount
	for _, pr := range pairs {
		p.record(pr.path, pr.val)
		dst := pr.name
		if IsCloudURI(dst) {
			p.errorf(pr.key, pr.path, "File mount destination is a cloud URI",
				"The destination %q must be a path on the node; put the bucket on the right-hand side (%s: /data).", dst, dst)
			continue
		}
		v := deref(pr.val)
		if v != nil && v.Kind == yaml.MappingNode {
			if st := p.parseStorage(v, pr.path); st != nil {
				out = append(out, FileMount{Dst: dst, Storage: st})
			}
			continue
		}
		src, ok := p.str(v, pr.path)
		if !ok {
			continue
		}
		if strings.HasSuffix(dst, "/") || (strings.HasSuffix(src, "/") && !IsCloudURI(src)) {
			p.errorf(pr.key, pr.path, "Mount paths cannot end with a slash",
				"Mount paths cannot end with a slash (try \"/mydir: /mydir\" or \"/myfile: /myfile\"). Found: target=%s source=%s", dst, src)
			continue
		}
		out = append(out, FileMount{Dst: dst, Src: src})
	}
	return out
}

func (p *parser) parseStorage(n *yaml.Node, path string) *Storage {
	pairs, ok := p.mapping(n, path, "a storage spec", storageFields)
	if !ok {
		return nil
	}
	st := &Storage{Persistent: true, Mode: "MOUNT"}
	for _, pr := range pairs {
		p.record(pr.path, pr.val)
		v := deref(pr.val)
		if isNull(v) {
			continue
		}
		switch pr.name {
		case "name":
			st.Name, _ = p.str(v, pr.path)
		case "source":
			if v.Kind == yaml.SequenceNode {
				if len(v.Content) == 0 {
					p.errorf(v, pr.path, "Empty storage source", "source must be a path, a bucket URI or a non-empty list of local paths.")
				}
				for i, e := range v.Content {
					if s, ok := p.str(e, fmt.Sprintf("%s[%d]", pr.path, i)); ok {
						st.Source = append(st.Source, s)
					}
				}
			} else if s, ok := p.str(v, pr.path); ok {
				st.Source = []string{s}
			}
		case "store", "mode":
			// Validated after $VAR substitution (SkyPilot substitutes the
			// whole storage spec), see checkStorageEnums.
			if s, ok := p.str(v, pr.path); ok {
				if pr.name == "store" {
					st.Store = s
				} else {
					st.Mode = s
				}
			}
		case "persistent":
			if b, ok := p.boolean(v, pr.path); ok {
				st.Persistent = b
			}
		default:
			if st.Extra == nil {
				st.Extra = map[string]any{}
			}
			st.Extra[pr.name] = p.toAny(v, pr.path, 0)
		}
	}
	if st.Name == "" && len(st.Source) == 0 {
		p.errorf(n, path, "Storage spec needs a name or a source",
			"Storage source or storage name must be specified. Give name (a bucket to create or use) and/or source (local paths to upload, or a bucket URI).")
		return nil
	}
	if len(st.Source) > 1 {
		for _, s := range st.Source {
			if IsCloudURI(s) {
				p.errorf(n, path+".source", "Bucket URI in a source list", "A source list may only hold local paths; use a single bucket URI (%s) as source on its own.", s)
				return nil
			}
		}
	}
	return st
}

// finalize runs $VAR substitution from envs ∪ secrets over workdir,
// file_mounts, service and volumes (SkyPilot's _fill_in_env_vars), then
// normalises paths. It can run again after overrides change envs.
func (t *Task) finalize(checkPaths bool) diag.Diagnostics {
	if t.raw == nil {
		return nil
	}
	var ds diag.Diagnostics
	env := t.envMap()
	if w := t.raw.workdir; w != nil {
		nw := &Workdir{Path: substitute(w.Path, env), URL: substitute(w.URL, env), Ref: substitute(w.Ref, env)}
		if nw.Path != "" {
			nw.Path = absPath(nw.Path)
		}
		t.Workdir = nw
	}
	t.FileMounts = nil
	for _, fm := range t.raw.fileMounts {
		field := "file_mounts." + fm.Dst
		n := FileMount{Dst: substitute(fm.Dst, env), Src: substitute(fm.Src, env)}
		if fm.Storage != nil {
			st := *fm.Storage
			st.Name = substitute(st.Name, env)
			st.Store = substitute(st.Store, env)
			st.Mode = substitute(st.Mode, env)
			ds = append(ds, t.checkStorageEnums(&st, field)...)
			st.Source = nil
			for _, s := range fm.Storage.Source {
				st.Source = append(st.Source, substitute(s, env))
			}
			n.Storage = &st
		}
		t.FileMounts = append(t.FileMounts, n)
	}
	sort.SliceStable(t.FileMounts, func(i, j int) bool { return t.FileMounts[i].Dst < t.FileMounts[j].Dst })
	if t.Workdir != nil {
		for _, fm := range t.raw.fileMounts {
			if d := strings.TrimSuffix(substitute(fm.Dst, env), "/"); d == "~/sky_workdir" || d == "sky_workdir" {
				f := "file_mounts." + fm.Dst
				ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "File mount onto the workdir",
					Detail:  "Cannot use ~/sky_workdir as a file mount destination when workdir is set: the workdir is synced there. Mount elsewhere, or drop workdir.",
					Subject: t.Source.Range(f), Field: f})
			}
		}
	}
	if checkPaths {
		ds = append(ds, t.CheckLocalPaths()...)
	}
	if t.raw.service != nil {
		svc, sds := t.raw.service.substituted(env, t.Source)
		t.Service = svc
		ds = append(ds, sds...)
	}
	if t.raw.volumes != nil {
		t.Volumes, _ = substituteAny(t.raw.volumes, env).(map[string]any)
	}
	return ds
}

// CheckLocalPaths reports each local source the task names that does not
// exist here: the workdir, file mount sources and bucket sources (cloud
// URIs are not local). Commands run it before any cloud call, so a typo
// never costs a cluster that then cannot be synced.
func (t *Task) CheckLocalPaths() diag.Diagnostics {
	var ds diag.Diagnostics
	if w := t.Workdir; w != nil && w.Path != "" {
		if fi, err := os.Stat(w.Path); err != nil || !fi.IsDir() {
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Workdir not found",
				Detail:  fmt.Sprintf("Workdir must be a valid directory (or a symlink to a directory). %s not found.", w.Path),
				Subject: t.Source.Range("workdir"), Field: "workdir"})
		}
	}
	if t.raw == nil {
		return ds
	}
	env := t.envMap()
	for _, fm := range t.raw.fileMounts {
		field := "file_mounts." + fm.Dst
		srcs := []string{substitute(fm.Src, env)}
		what := "File mount source"
		if fm.Storage != nil {
			srcs, what = nil, "Bucket source"
			if _, ok := t.Source.Positions[field+".source"]; ok {
				field += ".source"
			}
			for _, s := range fm.Storage.Source {
				srcs = append(srcs, substitute(s, env))
			}
		}
		for _, s := range srcs {
			if s == "" || IsCloudURI(s) {
				continue
			}
			if _, err := os.Stat(absPath(s)); err != nil {
				ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "File mount source not found",
					Detail:  fmt.Sprintf("%s '%s' does not exist locally (%s). To fix: check if it exists, and correct the path.", what, s, absPath(s)),
					Subject: t.Source.Range(field), Field: field})
			}
		}
	}
	return ds
}

// absPath expands "~" and makes a local path absolute (relative to the
// working directory, as SkyPilot does).
func absPath(p string) string {
	if p == "~" || strings.HasPrefix(p, "~/") {
		if home, err := os.UserHomeDir(); err == nil {
			p = filepath.Join(home, strings.TrimPrefix(p, "~"))
		}
	}
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}

// checkStorageEnums validates store and mode once env values are in.
func (t *Task) checkStorageEnums(st *Storage, field string) diag.Diagnostics {
	var ds diag.Diagnostics
	if st.Store != "" {
		l := strings.ToLower(st.Store)
		if contains(storeTypes, l) {
			st.Store = l
		} else {
			detail := fmt.Sprintf("Invalid store '%s'. store must be one of %s.", st.Store, strings.Join(storeTypes, ", "))
			if strings.Contains(st.Store, "$") {
				detail += " It references an environment variable that is not set: set it in envs or with --env."
			} else if m := didYouMean(l, storeTypes); m != "" {
				detail += " " + m
			}
			ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Invalid store", Detail: detail,
				Subject: t.Source.Range(field + ".store"), Field: field + ".store"})
		}
	}
	m := strings.ToUpper(st.Mode)
	if contains(storageModes, m) {
		st.Mode = m
	} else {
		ds = append(ds, diag.Diagnostic{Severity: diag.Error, Summary: "Invalid storage mode",
			Detail:  fmt.Sprintf("mode must be one of MOUNT, COPY, MOUNT_CACHED, got %q.", st.Mode),
			Subject: t.Source.Range(field + ".mode"), Field: field + ".mode"})
	}
	return ds
}
