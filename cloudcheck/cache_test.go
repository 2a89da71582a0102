package cloudcheck

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestEnabledCloudsCache(t *testing.T) {
	home := t.TempDir()
	t.Setenv("SKYPLAN_HOME", home)
	if clouds, known := EnabledClouds(); known || clouds != nil {
		t.Fatalf("before any check: %v, %v; want unknown", clouds, known)
	}
	t0 := time.Date(2026, 11, 25, 3, 0, 0, 0, time.UTC)
	if _, err := SaveResults(CachePath(), []Result{{Cloud: "gcp", Enabled: true}, {Cloud: "aws", Enabled: true}, {Cloud: "azure"}}, t0); err != nil {
		t.Fatal(err)
	}
	if clouds, known := EnabledClouds(); !known || !reflect.DeepEqual(clouds, []string{"aws", "gcp"}) {
		t.Fatalf("after check: %v, %v", clouds, known)
	}
	// Checking one cloud replaces only its verdict.
	t1 := t0.Add(time.Hour)
	c, err := SaveResults(CachePath(), []Result{{Cloud: "aws", Reason: "expired token"}}, t1)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Clouds, []string{"gcp"}) || !c.CheckedAt.Equal(t1) {
		t.Fatalf("merged cache: %+v", c)
	}
	read, ok, err := ReadCache(filepath.Join(home, CacheFile))
	if err != nil || !ok || len(read.Results) != 3 || !read.Results[0].CheckedAt.Equal(t1) || !read.Results[1].CheckedAt.Equal(t0) {
		t.Fatalf("read back: %+v ok=%v err=%v", read, ok, err)
	}
	// Nothing enabled is known, and differs from never checked.
	if _, err := SaveResults(CachePath(), []Result{{Cloud: "gcp"}}, t1); err != nil {
		t.Fatal(err)
	}
	if clouds, known := EnabledClouds(); !known || len(clouds) != 0 {
		t.Fatalf("none enabled: %v, %v", clouds, known)
	}
	// A corrupt cache counts as never checked and is replaced by the next check.
	if err := os.WriteFile(CachePath(), []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, known := EnabledClouds(); known {
		t.Fatal("corrupt cache reported as known")
	}
	if _, err := SaveResults(CachePath(), []Result{{Cloud: "aws", Enabled: true}}, t1); err != nil {
		t.Fatal(err)
	}
	if clouds, known := EnabledClouds(); !known || !reflect.DeepEqual(clouds, []string{"aws"}) {
		t.Fatalf("after rewrite: %v, %v", clouds, known)
	}
}
