package awsid

import (
	"fmt"
	"strconv"
)

// Source is where a read or a piece of evidence came from: the AWS call
// and registry it answers, the file it was read from (none for a live
// run, whose files are temporary) and, for CloudTrail, the record in it;
// or a name of its own. It is built once, where the read is made, and
// printed by String; no layer rebuilds it from the printed form.
type Source struct {
	// Call is the AWS CLI form of the call, without "aws" and the
	// registry: "ecr get-repository-policy team/app".
	Call            string
	Account, Region string
	// File is the path the read came from (a snapshot file, a Terraform
	// file, an S3 object's URL); Line its line (0: none).
	File string
	Line int
	// Record is the index of a CloudTrail record in its file or call,
	// from 1 (0: none).
	Record int
	// Name is a source that is neither: "(stdin)", "CloudTrail", a
	// Terraform address.
	Name string
}

// String prints the source as the outputs show it: the file
// ("snap/1111/us-east-1/get-registry-policy.json", "main.tf:12",
// "trail.json#3"), else the call ("aws ecr get-registry-policy
// (111111111111, us-east-1)", "aws cloudtrail lookup-events (111111111111,
// us-east-1) #3"), else the name ("(stdin)#1").
func (s Source) String() string {
	var out string
	switch {
	case s.File != "" && s.Line > 0:
		return s.File + ":" + strconv.Itoa(s.Line)
	case s.File != "":
		out = s.File
	case s.Call != "":
		out = fmt.Sprintf("aws %s (%s, %s)", s.Call, s.Account, s.Region)
		if s.Record > 0 {
			out += " " // after the registry's parenthesis
		}
	default:
		out = s.Name
	}
	if s.Record > 0 {
		out += "#" + strconv.Itoa(s.Record)
	}
	return out
}

// At is the source of record i (from 1) of this file or call.
func (s Source) At(i int) Source {
	s.Record = i
	return s
}

// IsZero reports whether the source is unknown.
func (s Source) IsZero() bool { return s == Source{} }

// MarshalText writes the source as String does, so JSON keeps
// "source": "..." as a string.
func (s Source) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText reads a source printed by MarshalText. The printed form
// does not say which kind it was, so it is kept as a Name.
func (s *Source) UnmarshalText(b []byte) error {
	*s = Source{Name: string(b)}
	return nil
}
