package cli

import (
	"testing"

	"github.com/skyplan/skyplan/task"
)

func TestWithAutostopKeepsTaskPolicy(t *testing.T) {
	tk := &task.Task{Resources: task.ResourceSet{Items: []task.Resources{
		{Autostop: &task.Autostop{Enabled: true, IdleMinutes: 30, Hook: "sync.sh"}}, {}}}}
	withAutostop(tk, 5, true)
	for i, r := range tk.Resources.Items {
		a := r.Autostop
		if a == nil || !a.Enabled || a.IdleMinutes != 5 || !a.Down {
			t.Fatalf("item %d: autostop %+v", i, a)
		}
	}
	if tk.Resources.Items[0].Autostop.Hook != "sync.sh" {
		t.Errorf("the task's autostop hook was dropped")
	}
}
