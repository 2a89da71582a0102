package runner

import (
	"context"
	"testing"
	"time"
)

func TestZZTiming(t *testing.T) {
	_, cl, r, _ := testSetup(t, 32, "timing")
	ctx := context.Background()
	for i := 0; i < 3; i++ {
		t0 := time.Now()
		s, err := r.connect(ctx, cl, time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		t1 := time.Now()
		parallel(ctx, 32, 64, func(ctx context.Context, i int) error { _, err := s.conns[i].output(ctx, "true", nil); return err })
		t2 := time.Now()
		parallel(ctx, 32, 64, func(ctx context.Context, i int) error { _, err := s.conns[i].output(ctx, "true", nil); return err })
		t3 := time.Now()
		s.close()
		t.Logf("connect %v, session1 %v, session2 %v", t1.Sub(t0), t2.Sub(t1), t3.Sub(t2))
	}
}
