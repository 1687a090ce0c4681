package childproc

import (
	"fmt"
	"os"
	"os/exec"
	"syscall"
	"time"
)

// Process is one child process and its log file.
type Process struct {
	Name   string
	Log    *os.File
	cmd    *exec.Cmd
	exited chan struct{}
	err    error
}

// Start runs bin with args, its output written to a new file at logPath.
func Start(name, logPath, bin string, args ...string) (*Process, error) {
	log, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("creating the log of %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		log.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &Process{Name: name, Log: log, cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

// Pid is the process's ID.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed when the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Alive is false once the process has exited.
func (p *Process) Alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// ExitReport says how the exited process ended and where its log is.
func (p *Process) ExitReport() string {
	<-p.exited
	return fmt.Sprintf("%s exited (%v); see %s", p.Name, p.err, p.Log.Name())
}

// Kill ends the process with SIGKILL, as a crash would, and waits for
// the exit; Stop still closes the log.
func (p *Process) Kill() {
	if p.Alive() {
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// Stop sends SIGTERM, then SIGKILL after grace, waits for the exit and
// closes the log.
func (p *Process) Stop(grace time.Duration) {
	if p.Alive() {
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-p.exited:
		case <-time.After(grace):
			_ = p.cmd.Process.Kill()
			<-p.exited
		}
	}
	p.Log.Close()
}
