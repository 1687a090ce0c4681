package childproc

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStopEndsTheProcessAndReportsItsExit(t *testing.T) {
	sleep, err := exec.LookPath("sleep")
	if err != nil {
		t.Skip("no sleep binary")
	}
	log := filepath.Join(t.TempDir(), "sleep.log")
	p, err := Start("sleeper", log, sleep, "60")
	if err != nil {
		t.Fatal(err)
	}
	if !p.Alive() || p.Pid() <= 0 {
		t.Fatalf("alive %v pid %d", p.Alive(), p.Pid())
	}
	p.Stop(5 * time.Second)
	if p.Alive() {
		t.Fatal("still alive after Stop")
	}
	if r := p.ExitReport(); !strings.Contains(r, "sleeper exited") || !strings.Contains(r, log) {
		t.Fatalf("exit report %q", r)
	}
	if _, err := os.Stat(log); err != nil {
		t.Fatal(err)
	}
}

func TestStartNamesAMissingBinary(t *testing.T) {
	_, err := Start("ghost", filepath.Join(t.TempDir(), "g.log"), filepath.Join(t.TempDir(), "no-such-binary"))
	if err == nil || !strings.Contains(err.Error(), "starting ghost") {
		t.Fatalf("err %v", err)
	}
}
