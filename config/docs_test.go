package config

import (
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// Every key config.yaml accepts is documented in docs/config.md (strict
// keys make an undocumented one a trap: aws.disable_placement_group was
// accepted but written down nowhere).
func TestEveryKeyIsInDocsConfig(t *testing.T) {
	b, err := os.ReadFile("../docs/config.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	keys := yamlKeys(reflect.TypeOf(Config{}), "")
	keys = append(keys, prefixed("jobs.controller.", controllerKeys)...)
	if len(keys) < 20 {
		t.Fatalf("found only %d keys: %v", len(keys), keys)
	}
	for _, k := range keys {
		leaf := k[strings.LastIndex(k, ".")+1:]
		if !regexp.MustCompile(`(?m)^[ #]*` + regexp.QuoteMeta(leaf) + `:`).MatchString(doc) {
			t.Errorf("config key %s is not in docs/config.md", k)
		}
	}
}

// yamlKeys lists the dotted YAML keys of a struct type, recursing into
// nested structs.
func yamlKeys(t reflect.Type, prefix string) []string {
	var out []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "" || name == "-" {
			continue
		}
		out = append(out, prefix+name)
		ft := f.Type
		if ft.Kind() == reflect.Pointer {
			ft = ft.Elem()
		}
		if ft.Kind() == reflect.Struct { // ControllerConfig has no tagged fields: its keys are controllerKeys

			out = append(out, yamlKeys(ft, prefix+name+".")...)
		}
	}
	return out
}

func prefixed(p string, keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = p + k
	}
	return out
}
