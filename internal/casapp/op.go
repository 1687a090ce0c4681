package casapp

import (
	"errors"
	"fmt"
	"strings"
)

// Kinds of register operations.
const (
	Read  = "read"
	Write = "write"
	CAS   = "cas"
)

// opPrefix starts every register operation.
const opPrefix = "op/"

// Op is one register operation.
type Op struct {
	ID    string
	Kind  string
	Key   string
	Value string // written value, or the expected old value of a CAS
	New   string // new value of a CAS
}

// Encode returns the transaction carrying the operation.
func (o Op) Encode() []byte {
	parts := []string{"op", o.ID, o.Kind, o.Key}
	switch o.Kind {
	case Write:
		parts = append(parts, o.Value)
	case CAS:
		parts = append(parts, o.Value, o.New)
	}
	return []byte(strings.Join(parts, "/"))
}

var errNotOp = errors.New("not a register operation")

// ParseOp decodes a transaction; errNotOp if it is not an operation at
// all, another error if it is a malformed one.
func ParseOp(tx []byte) (Op, error) {
	s := string(tx)
	if !strings.HasPrefix(s, opPrefix) {
		return Op{}, errNotOp
	}
	f := strings.Split(s, "/")
	if len(f) < 4 || f[1] == "" || f[3] == "" {
		return Op{}, fmt.Errorf("register operation %q: want op/<id>/<kind>/<key>[/...]", s)
	}
	o := Op{ID: f[1], Kind: f[2], Key: f[3]}
	want := map[string]int{Read: 4, Write: 5, CAS: 6}[o.Kind]
	if want == 0 {
		return Op{}, fmt.Errorf("register operation %q: unknown kind %q (read, write or cas)", s, o.Kind)
	}
	if len(f) != want {
		return Op{}, fmt.Errorf("register operation %q: a %s has %d fields, not %d", s, o.Kind, want, len(f))
	}
	if o.Kind == Write {
		o.Value = f[4]
	}
	if o.Kind == CAS {
		o.Value, o.New = f[4], f[5]
	}
	return o, nil
}
