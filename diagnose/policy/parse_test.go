package policy

import (
	"errors"
	"reflect"
	"strings"
	"testing"
)

func TestParseElements(t *testing.T) {
	doc := `{
  "Version": "2012-10-17",
  "Id": "registry",
  "Statement": [
    {"Sid": "One", "Effect": "Allow", "Principal": {"AWS": ["111111111111", "arn:aws:iam::333333333333:root"], "Service": "replication.ecr.amazonaws.com"},
     "Action": "ecr:ReplicateImage", "Resource": ["arn:aws:ecr:us-east-1:222222222222:repository/*"],
     "Condition": {"StringEquals": {"aws:PrincipalOrgID": ["o-1", "o-2"]}, "Bool": {"aws:SecureTransport": true}, "NumericLessThan": {"s:n": 5}}},
    {"Effect": "Deny", "NotPrincipal": {"AWS": "arn:aws:iam::111111111111:root"}, "NotAction": ["ecr:Get*"], "NotResource": "arn:aws:ecr:*:*:repository/keep"},
    {"Effect": "Allow", "Principal": "*", "Action": ["ecr:*"]}
  ]
}`
	p, err := Parse([]byte(doc))
	if err != nil {
		t.Fatal(err)
	}
	if p.Version != Version2012 || p.ID != "registry" || len(p.Statements) != 3 {
		t.Fatalf("policy = %+v", p)
	}
	s0 := p.Statements[0]
	if s0.Sid != "One" || s0.Effect != Allow || s0.Path != "Statement[0]" || s0.Index != 0 {
		t.Errorf("statement 0 header = %+v", s0)
	}
	if !reflect.DeepEqual(s0.Principal, &Principals{AWS: []string{"111111111111", "arn:aws:iam::333333333333:root"}, Service: []string{"replication.ecr.amazonaws.com"}}) {
		t.Errorf("principal = %+v", s0.Principal)
	}
	if !reflect.DeepEqual(s0.Action, []string{"ecr:ReplicateImage"}) || !s0.HasResource || len(s0.Resource) != 1 {
		t.Errorf("action/resource = %v %v", s0.Action, s0.Resource)
	}
	wantConds := []Condition{
		{Operator: "StringEquals", Key: "aws:PrincipalOrgID", Values: []string{"o-1", "o-2"}, Path: "Statement[0].Condition.StringEquals.aws:PrincipalOrgID"},
		{Operator: "Bool", Key: "aws:SecureTransport", Values: []string{"true"}, Path: "Statement[0].Condition.Bool.aws:SecureTransport"},
		{Operator: "NumericLessThan", Key: "s:n", Values: []string{"5"}, Path: "Statement[0].Condition.NumericLessThan.s:n"},
	}
	if len(s0.Conditions) != len(wantConds) {
		t.Fatalf("conditions = %+v", s0.Conditions)
	}
	for i, c := range s0.Conditions {
		w := wantConds[i]
		if c.Operator != w.Operator || c.Key != w.Key || !reflect.DeepEqual(c.Values, w.Values) || c.Path != w.Path {
			t.Errorf("condition %d = %+v, want %+v (document order)", i, c, w)
		}
	}
	s1 := p.Statements[1]
	if s1.NotPrincipal == nil || s1.Principal != nil || !reflect.DeepEqual(s1.NotAction, []string{"ecr:Get*"}) || !s1.HasResource || s1.NotResource[0] != "arn:aws:ecr:*:*:repository/keep" {
		t.Errorf("statement 1 = %+v", s1)
	}
	s2 := p.Statements[2]
	if !s2.Principal.Wildcard || s2.HasResource || s2.Resource != nil {
		t.Errorf("statement 2 = %+v", s2)
	}
}

func TestParseSingleStatementObject(t *testing.T) {
	p, err := Parse([]byte(`{"Version": "2008-10-17", "Statement": {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "ecr:*"}}`))
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Statements) != 1 || p.Statements[0].Path != "Statement" || p.Version != Version2008 {
		t.Errorf("policy = %+v", p)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		name, doc, path, msg string
	}{
		{"not JSON", `{"Version": `, "", "not JSON"},
		{"trailing garbage", `{"Statement": []} x`, "", "not JSON"},
		{"top level is a list", `[]`, "", "not a policy"},
		{"no Statement", `{"Version": "2012-10-17"}`, "", "no Statement"},
		{"unknown version", `{"Version": "2012-10-18", "Statement": []}`, "Version", "unsupported version"},
		{"unknown top-level element", `{"Statment": []}`, "Statment", `unknown element "Statment"`},
		{"element name case", `{"statement": []}`, "statement", `did you mean "Statement"`},
		{"Statement of wrong type", `{"Statement": "Allow"}`, "Statement", "is a string"},
		{"statement not an object", `{"Statement": [{"Effect": "Allow", "Action": "a"}, 3]}`, "Statement[1]", "is a number"},
		{"unknown statement element", `{"Statement": [{"Effect": "Allow", "Action": "a", "Resources": "*"}]}`, "Statement[0].Resources", `unknown element "Resources"`},
		{"Effect wrong value", `{"Statement": [{"Effect": "allow", "Action": "a"}]}`, "Statement[0].Effect", "neither"},
		{"no Effect", `{"Statement": [{"Action": "a"}]}`, "Statement[0]", "no Effect"},
		{"no Action", `{"Statement": [{"Effect": "Allow"}]}`, "Statement[0]", "neither Action nor NotAction"},
		{"Action and NotAction", `{"Statement": [{"Effect": "Allow", "Action": "a", "NotAction": "b"}]}`, "Statement[0]", "both Action and NotAction"},
		{"Principal and NotPrincipal", `{"Statement": [{"Effect": "Deny", "Principal": "*", "NotPrincipal": "*", "Action": "a"}]}`, "Statement[0]", "both Principal and NotPrincipal"},
		{"Resource and NotResource", `{"Statement": [{"Effect": "Deny", "Action": "a", "Resource": "*", "NotResource": "x"}]}`, "Statement[0]", "both Resource and NotResource"},
		{"Action of wrong type", `{"Statement": [{"Effect": "Allow", "Action": {"a": 1}}]}`, "Statement[0].Action", "is an object"},
		{"Action list item of wrong type", `{"Statement": [{"Effect": "Allow", "Action": ["a", 2]}]}`, "Statement[0].Action[1]", "is a number"},
		{"Principal bare ARN string", `{"Statement": [{"Effect": "Allow", "Principal": "arn:aws:iam::111111111111:root", "Action": "a"}]}`, "Statement[0].Principal", `must be "*"`},
		{"unknown principal type", `{"Statement": [{"Effect": "Allow", "Principal": {"Aws": "*"}, "Action": "a"}]}`, "Statement[0].Principal.Aws", `did you mean "AWS"`},
		{"Condition of wrong type", `{"Statement": [{"Effect": "Allow", "Action": "a", "Condition": []}]}`, "Statement[0].Condition", "is a list"},
		{"unknown condition operator", `{"Statement": [{"Effect": "Allow", "Action": "a"}, {"Effect": "Allow", "Action": "a"}, {"Effect": "Allow", "Action": "a", "Condition": {"StringEqual": {"k": "v"}}}]}`, "Statement[2].Condition.StringEqual", `unknown condition operator "StringEqual"`},
		{"operator name case", `{"Statement": [{"Effect": "Allow", "Action": "a", "Condition": {"stringequals": {"k": "v"}}}]}`, "Statement[0].Condition.stringequals", `did you mean "StringEquals"`},
		{"unknown set qualifier", `{"Statement": [{"Effect": "Allow", "Action": "a", "Condition": {"ForSomeValues:StringEquals": {"k": "v"}}}]}`, "Statement[0].Condition.ForSomeValues:StringEquals", "unknown condition operator"},
		{"NullIfExists", `{"Statement": [{"Effect": "Allow", "Action": "a", "Condition": {"NullIfExists": {"k": "true"}}}]}`, "Statement[0].Condition.NullIfExists", "unknown condition operator"},
		{"condition block not an object", `{"Statement": [{"Effect": "Allow", "Action": "a", "Condition": {"StringEquals": "v"}}]}`, "Statement[0].Condition.StringEquals", "is a string"},
		{"condition value of wrong type", `{"Statement": [{"Effect": "Allow", "Action": "a", "Condition": {"StringEquals": {"k": {"x": 1}}}}]}`, "Statement[0].Condition.StringEquals.k", "is an object"},
		{"numeric value not a number", `{"Statement": [{"Effect": "Allow", "Action": "a", "Condition": {"NumericLessThan": {"k": "ten"}}}]}`, "Statement[0].Condition.NumericLessThan.k", "not a number"},
		{"date value not a date", `{"Statement": [{"Effect": "Allow", "Action": "a", "Condition": {"DateLessThan": {"k": "soon"}}}]}`, "Statement[0].Condition.DateLessThan.k", "not an ISO 8601 date"},
		{"bad CIDR", `{"Statement": [{"Effect": "Allow", "Action": "a", "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/33"}}}]}`, "Statement[0].Condition.IpAddress.aws:SourceIp", "not a CIDR"},
		{"bad Bool", `{"Statement": [{"Effect": "Allow", "Action": "a", "Condition": {"Bool": {"k": "yes"}}}]}`, "Statement[0].Condition.Bool.k", "true or false"},
		{"bad base64", `{"Statement": [{"Effect": "Allow", "Action": "a", "Condition": {"BinaryEquals": {"k": "%%%"}}}]}`, "Statement[0].Condition.BinaryEquals.k", "not base64"},
		{"duplicate element", `{"Statement": [{"Effect": "Allow", "Action": "a", "Action": "b"}]}`, "Statement[0].Action", "appears twice"},
		{"deep nesting", `{"Statement": ` + strings.Repeat("[", 200) + strings.Repeat("]", 200) + `}`, "", "not JSON"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			var pe *ParseError
			if !errors.As(err, &pe) {
				t.Fatalf("err = %v (%T), want *ParseError", err, err)
			}
			if pe.Path != tc.path || !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("err = {Path: %q, Msg: %q}, want path %q and a message containing %q", pe.Path, pe.Msg, tc.path, tc.msg)
			}
			if tc.path != "" && !strings.HasPrefix(pe.Error(), tc.path+": ") {
				t.Errorf("Error() = %q does not start with the path", pe.Error())
			}
		})
	}
}

// A JSON syntax error says where it is, the way a user finds it in an
// editor: the line and column of the offending byte.
func TestParseSyntaxErrorPosition(t *testing.T) {
	cases := []struct{ name, doc, want string }{
		{"trailing comma", "{\n  \"Version\": \"2012-10-17\",\n  \"Statement\": [{\"Effect\": \"Allow\",\n  }]\n}",
			"not JSON: invalid character '}' looking for beginning of object key string at offset 68 (line 4, column 3)"},
		{"bad value on a later line", "{\"Version\":\n   x}", "not JSON: invalid character 'x' looking for beginning of value at offset 16 (line 2, column 4)"},
		{"not JSON at all", "Version: 2012-10-17", "not JSON: invalid character 'V' looking for beginning of value at offset 1 (line 1, column 1)"},
		{"cut short", "{\"Statement\": [", "not JSON: unexpected end of JSON input at offset 15 (line 1, column 15)"},
		{"data after the object", "{}\n{}", "not JSON: invalid character '{' after top-level value at offset 4 (line 2, column 1)"},
		{"empty", " \n", "not JSON: the document is empty"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse([]byte(tc.doc))
			if err == nil || err.Error() != tc.want {
				t.Errorf("error = %v, want %s", err, tc.want)
			}
		})
	}
}

func TestStatementSource(t *testing.T) {
	doc := "{\"Id\" : \"x\",\n \"Statement\": [ {\"Effect\": \"Allow\", \"Action\": \"*\"} ,\n\t{\"Sid\": \"\\u0041\", \"Effect\": \"Deny\", \"Action\": []}]}"
	p := mustParse(t, doc)
	for i, want := range []string{`{"Effect": "Allow", "Action": "*"}`, `{"Sid": "\u0041", "Effect": "Deny", "Action": []}`} {
		if got := p.StatementSource(i); got != want {
			t.Errorf("StatementSource(%d) = %q, want %q", i, got, want)
		}
	}
	if got := p.ElementSource("Id"); got != `"x"` {
		t.Errorf("ElementSource(Id) = %q", got)
	}
	if got := p.ElementSource("Version"); got != "" {
		t.Errorf("ElementSource(Version) = %q, want \"\" (absent)", got)
	}
	one := mustParse(t, `{"Statement": {"Effect": "Allow", "Action": "*"} }`)
	if got := one.StatementSource(0); got != `{"Effect": "Allow", "Action": "*"}` {
		t.Errorf("a single statement: %q", got)
	}
	hand := &Policy{Statements: []Statement{{Effect: Allow}}}
	if got := hand.StatementSource(0); got != "" {
		t.Errorf("a hand-built policy: %q", got)
	}
}
