package compiler

import "testing"

func benchmarkCompile(b *testing.B, nodes int) {
	in := goldenCases()["aws-gpu-spot-2nodes"]
	in.Placement.NumNodes = nodes
	b.ReportAllocs()
	for b.Loop() {
		if _, ds := Compile(in); ds.HasErrors() {
			b.Fatal(ds.Error())
		}
	}
}

func BenchmarkCompile1(b *testing.B)    { benchmarkCompile(b, 1) }
func BenchmarkCompile100(b *testing.B)  { benchmarkCompile(b, 100) }
func BenchmarkCompile1000(b *testing.B) { benchmarkCompile(b, 1000) }
