package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/skyplan/skyplan/state"
)

func TestCostReport(t *testing.T) {
	home := t.TempDir()
	t.Setenv("SKYPLAN_HOME", home)
	now := time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC)
	old := costReportNow
	costReportNow = func() time.Time { return now }
	t.Cleanup(func() { costReportNow = old })

	st, err := state.Open(filepath.Join(home, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	// Finished 2h launch at $3.06/h, a running 30-min spot launch at $0.0104/h,
	// and one that ended 40 days ago (outside the default 30-day window).
	mustStart := func(cluster, res string, price float64, at time.Time) {
		if _, err := st.StartLaunch(cluster, res, price, at); err != nil {
			t.Fatal(err)
		}
	}
	mustStart("ancient", "1x(aws, m5.large)", 0.096, now.Add(-41*24*time.Hour))
	if err := st.EndLaunch("ancient", "TERMINATED", now.Add(-40*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	mustStart("train", "1x(aws, p3.2xlarge, {'V100': 1})", 3.06, now.Add(-5*time.Hour))
	if err := st.EndLaunch("train", "TERMINATED", now.Add(-3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	mustStart("dev", "1x(aws, t3.micro, spot)", 0.0104, now.Add(-30*time.Minute))
	st.Close()

	code, out, errOut := runCheckCLI(t, "cost-report")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 5 {
		t.Fatalf("want header, 2 rows, blank, total:\n%s", out)
	}
	for _, h := range []string{"NAME", "LAUNCHED", "DURATION", "RESOURCES", "STATUS", "$/h", "COST"} {
		if !strings.Contains(lines[0], h) {
			t.Errorf("header lacks %s: %q", h, lines[0])
		}
	}
	// Newest first; cost = price at launch × duration.
	for i, want := range [][]string{
		{"dev", "30m", "t3.micro, spot", "UP", "$0.0104", "$0.01"},
		{"train", "2h 0m", "p3.2xlarge", "TERMINATED", "$3.06", "$6.12"},
	} {
		for _, w := range want {
			if !strings.Contains(lines[i+1], w) {
				t.Errorf("row %q lacks %q", lines[i+1], w)
			}
		}
	}
	if strings.Contains(out, "ancient") {
		t.Errorf("launch ended 40 days ago is in the 30-day report:\n%s", out)
	}
	if !strings.Contains(lines[4], "Total: $6.13 for 2 launches") {
		t.Errorf("total line: %q", lines[4])
	}

	code, out, _ = runCheckCLI(t, "cost-report", "--days", "45", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	var doc struct {
		Days     int `json:"days"`
		Launches []struct {
			Name            string  `json:"name"`
			DurationSeconds int64   `json:"duration_seconds"`
			HourlyCost      float64 `json:"hourly_cost"`
			Cost            float64 `json:"cost"`
			Status          string  `json:"status"`
		} `json:"launches"`
		TotalCost float64 `json:"total_cost"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	if doc.Days != 45 || len(doc.Launches) != 3 || doc.Launches[2].Name != "ancient" || doc.Launches[2].DurationSeconds != 24*3600 {
		t.Fatalf("json: %+v", doc)
	}
	want := 3.06*2 + 0.0104*0.5 + 0.096*24
	if d := doc.TotalCost - want; d > 1e-9 || d < -1e-9 {
		t.Errorf("total_cost = %v, want %v", doc.TotalCost, want)
	}

	code, _, errOut = runCheckCLI(t, "cost-report", "--days", "0")
	if code != 1 || !strings.Contains(errOut, "--days must be 1 or more") {
		t.Errorf("--days 0: exit %d %s", code, errOut)
	}
}

func TestCostReportEmpty(t *testing.T) {
	t.Setenv("SKYPLAN_HOME", t.TempDir())
	code, out, errOut := runCheckCLI(t, "cost-report")
	if code != 0 || out != "" || !strings.Contains(errOut, "No clusters were up in the last 30 days") {
		t.Errorf("exit %d out %q err %q", code, out, errOut)
	}
	code, out, _ = runCheckCLI(t, "cost-report", "-o", "json")
	if code != 0 || !strings.Contains(out, `"launches": []`) {
		t.Errorf("json: exit %d %s", code, out)
	}
}
