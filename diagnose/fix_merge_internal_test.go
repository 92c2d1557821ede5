package diagnose

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
)

// marshalMerged is how the merged policy used to be written: the existing
// document decoded into its elements, and MarshalIndent of the statements
// kept with the grant inserted. mergeGrant must write the same bytes.
func marshalMerged(t *testing.T, existing string, grant []byte, replace map[int]bool, at int) []byte {
	t.Helper()
	doc := struct {
		Version   string            `json:"Version"`
		ID        json.RawMessage   `json:"Id,omitempty"`
		Statement []json.RawMessage `json:"Statement"`
	}{Version: "2012-10-17"}
	top, stmts, err := splitPolicy(existing)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := top["Version"]; ok {
		_ = json.Unmarshal(v, &doc.Version)
	}
	doc.ID = top["Id"]
	for i, st := range stmts {
		if !replace[i] {
			doc.Statement = append(doc.Statement, st)
		}
	}
	doc.Statement = append(doc.Statement[:at], append([]json.RawMessage{grant}, doc.Statement[at:]...)...)
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestMergeGrantWritesWhatMarshalIndentWrote(t *testing.T) {
	stmt := func(sid, extra string) string {
		return `{"Sid": "` + sid + `", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::333333333333:root"}, "Action": "ecr:ReplicateImage", "Resource": "*"` + extra + `}`
	}
	cases := []struct {
		name, doc string
		replace   map[int]bool
	}{
		{"list", `{"Version": "2012-10-17", "Statement": [` + stmt("A", "") + `, ` + stmt("B", "") + `]}`, nil},
		{"one statement, not a list", "{\n\t\"Statement\" : " + stmt("A", "") + "\r\n}", nil},
		{"no Version, an Id", `{"Id": "team \u0041 <ops>", "Statement": [` + stmt("A", "") + `]}`, nil},
		{"2008 version, empty lists and objects", `{"Version":"2008-10-17","Statement":[` + stmt("A", `, "Condition": { }`) + `]}`, nil},
		{"HTML and line separators in strings", `{"Version": "2012-10-17", "Statement": [` + stmt("A&B<C>", `, "Condition": {"StringEquals": {"aws:PrincipalTag/t": ["a`+"\u2028"+`b", "x\u2029y", "\"q\"\\"]}}`) + `]}`, nil},
		{"replaced statements", `{"Version": "2012-10-17", "Statement": [` + stmt("A", "") + `, ` + stmt("B", "") + `, ` + stmt("C", "") + `]}`, map[int]bool{1: true, 2: true}},
		{"the grant's Sid taken", `{"Version": "2012-10-17", "Statement": [` + stmt("AllowReplicationFrom111111111111", "") + `]}`, nil},
	}
	dst := Location{Account: "222222222222", Region: "ap-northeast-1"}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc, err := policy.Parse([]byte(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			got, sid, spliced, err := mergeGrant(&parsedPolicy{text: tc.doc, doc: doc}, "111111111111", dst, []string{"team/"}, []string{actionReplicate}, tc.replace)
			if err != nil {
				t.Fatal(err)
			}
			// The grant as mergeGrant wrote it, compact, is what the old
			// code inserted.
			merged, err := policy.Parse(got)
			if err != nil {
				t.Fatalf("merged policy does not parse: %v\n%s", err, got)
			}
			if spliced == nil || !reflect.DeepEqual(spliced.Statements, merged.Statements) || spliced.Version != merged.Version {
				t.Errorf("the policy mergeGrant returns is not what Parse reads from its text")
			}
			at := -1
			for i, st := range merged.Statements {
				if st.Sid == sid {
					at = i
				}
			}
			if at < 0 {
				t.Fatalf("no statement %q in\n%s", sid, got)
			}
			var grant bytes.Buffer
			if err := json.Compact(&grant, []byte(merged.StatementSource(at))); err != nil {
				t.Fatal(err)
			}
			if want := marshalMerged(t, tc.doc, grant.Bytes(), tc.replace, at); !bytes.Equal(got, want) {
				t.Errorf("got\n%s\nwant\n%s", got, want)
			}
			if tc.replace != nil && at != 1 {
				t.Errorf("the grant is statement %d, want 1 (the first replaced)", at)
			}
		})
	}
}
