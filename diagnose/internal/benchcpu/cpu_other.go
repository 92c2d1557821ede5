//go:build !unix

package benchcpu

import "testing"

// PerOp reports nothing where getrusage is missing.
func PerOp(*testing.B) func() { return func() {} }
