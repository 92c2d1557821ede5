package policy

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
)

// Splice must give what Parse gives for the document that lists the same
// statements: the same statements, numbered the same, and the same answer
// (every statement's reason included) to every request.
func TestSpliceIsParseOfTheSplicedDocument(t *testing.T) {
	stmts := append(benchStatements(12),
		`{"Sid": "Vars", "Effect": "Allow", "Principal": "*", "Action": "ecr:*", "Resource": "arn:aws:ecr:*:${aws:PrincipalAccount}:repository/*",
		  "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:*"}, "Null": {"aws:SourceVpc": "true"}}}`,
		`{"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "ecr:ReplicateImage", "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"aws:RequestedRegion": "ap-northeast-1"}}}`)
	grant := `{"Sid": "Grant", "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111111111111:root"}, "Action": ["ecr:ReplicateImage"], "Resource": "arn:aws:ecr:ap-northeast-1:222222222222:repository/${aws:PrincipalAccount}*",
		"Condition": {"StringEquals": {"aws:PrincipalOrgID": "o-abcdef1"}}}`
	requests := []Request{benchRequest,
		{Principal: ReplicationPrincipal("111111111111"), Action: "ecr:CreateRepository", Resource: "arn:aws:ecr:ap-northeast-1:222222222222:repository/111111111111-x",
			Context: map[string][]string{"aws:RequestedRegion": {"us-east-1"}, "aws:PrincipalOrgID": {"o-abcdef1"}}},
		{Principal: Principal{ARN: "arn:aws:iam::222222222222:role/admin3"}, Action: "ecr:DeleteRepository", Resource: "arn:aws:ecr:us-east-1:222222222222:repository/shared/a"},
	}
	cases := []struct {
		name             string
		version, written string // the spliced document's Version, the existing one's
		single           bool   // the existing document's Statement is one object
		drop             map[int]bool
		at               int
	}{
		{"appended", Version2012, Version2012, false, nil, 14},
		{"in place of dropped ones", Version2012, Version2012, false, map[int]bool{3: true, 4: true, 9: true}, 3},
		{"first", Version2012, Version2012, false, map[int]bool{0: true}, 0},
		{"2008 made 2012: variables read anew", Version2012, "", false, map[int]bool{1: true}, 5},
		{"2008 kept", Version2008, Version2008, false, nil, 2},
		{"a single statement", Version2012, Version2012, true, nil, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			existing := stmts
			body := "[" + strings.Join(existing, ",") + "]"
			if tc.single {
				existing = stmts[12:13]
				body = existing[0]
			}
			head := `{`
			if tc.written != "" {
				head = `{"Version": "` + tc.written + `", `
			}
			p := mustParse(t, head+`"Id": "x", "Statement": `+body+`}`)
			add := mustParse(t, `{"Version": "`+tc.version+`", "Statement": [`+grant+`]}`)
			var kept []string
			for i, s := range existing {
				if !tc.drop[i] {
					kept = append(kept, s)
				}
			}
			kept = append(kept[:tc.at:tc.at], append([]string{grant}, kept[tc.at:]...)...)
			want := mustParse(t, `{"Version": "`+tc.version+`", "Id": "x", "Statement": [`+strings.Join(kept, ",")+`]}`)
			got := Splice(p, tc.drop, tc.at, add, tc.version)
			if !reflect.DeepEqual(got.Statements, want.Statements) || got.Version != want.Version || got.ID != want.ID {
				t.Fatalf("statements differ:\n got %+v\nwant %+v", got.Statements, want.Statements)
			}
			for _, req := range requests {
				// As JSON: a failed condition points into its own policy.
				gj, _ := json.Marshal(Evaluate(got, req))
				wj, _ := json.Marshal(Evaluate(want, req))
				if g, w := string(gj), string(wj); g != w {
					t.Errorf("%s: got\n%s\nwant\n%s", req.Action, g, w)
				}
			}
			if c := compiledOf(got); c != got.compiled {
				t.Errorf("the spliced policy is compiled again at each evaluation")
			}
		})
	}
}
