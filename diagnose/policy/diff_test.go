package policy

import (
	"encoding/json"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"math/rand"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose/policy/internal/reference"
)

// The compiled evaluator must answer exactly as the evaluator it replaced
// (frozen in internal/reference): same decision, same statements, same
// reasons and summary, same missing keys. These tests compare the two over
// every policy the tests, fixtures and AWS samples hold and over generated
// policies and requests; FuzzDifferential goes further.

// corpusPolicies returns policy documents found in this package's tests (as
// string literals, also wrapped the way condPolicy and the principal tests
// wrap them), the fuzz seeds, the fixtures and the AWS documentation samples.
func corpusPolicies(t *testing.T) []string {
	t.Helper()
	var out []string
	files, _ := filepath.Glob("*_test.go")
	fset := token.NewFileSet()
	for _, f := range files {
		af, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(af, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !strings.HasPrefix(strings.TrimSpace(s), "{") && !strings.HasPrefix(s, `"*"`) {
				return true
			}
			out = append(out, s,
				`{"Version": "2012-10-17", "Statement": {"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*", "Condition": `+s+`}}`,
				`{"Statement": {"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*", "Condition": `+s+`}}`,
				`{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": `+s+`, "Action": "ecr:*"}, {"Effect": "Deny", "NotPrincipal": `+s+`, "Action": "ecr:BatchGetImage"}]}`)
			return true
		})
	}
	out = append(out, fuzzSeeds...)
	// JSON the fast reader must read like the token decoder: escapes,
	// non-ASCII and invalid UTF-8 in strings, numbers, nulls, whitespace.
	out = append(out,
		"{\"Statement\": {\"Sid\": \"caf\\u00e9 \\\"q\\\" \\ud83d\\ude00 \\/\", \"Effect\": \"Allow\", \"Principal\": \"*\", \"Action\": \"ecr:*\",\r\n\t\"Condition\": {\"StringEquals\": {\"k\": [\"\\u0000x\", \"é\", \"\xff\xfe\", 1e3, -0.5E-2, true, false]}}}}",
		`{"Statement": {"Effect": "Allow", "Principal": "*", "Action": "ecr:*", "Condition": {"StringEquals": {"k": null}}}}`,
		`{"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "ecr:*", "Resource": "\ud800"}]}`,
		"\ufeff{\"Statement\": []}", `{"Statement": []} x`, `{"Statement": [,]}`)
	out = append(out, benchPolicy(), benchDoc(200))
	for _, root := range []string{"../../fixtures", "/work/shared/domain/aws-doc-samples"} {
		_ = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".json") {
				return nil
			}
			data, err := os.ReadFile(path)
			if err != nil {
				return nil
			}
			var wrapped struct{ PolicyText string }
			if json.Unmarshal(data, &wrapped) == nil && wrapped.PolicyText != "" {
				out = append(out, wrapped.PolicyText)
			} else if strings.Contains(string(data), `"Statement"`) {
				out = append(out, string(data))
			}
			return nil
		})
	}
	return out
}

// Vocabularies the generator draws from: every operator family, qualifier
// and principal form, values that parse and some that do not, variables.
var (
	genPrincipals = []string{`"*"`, `{"AWS": "*"}`, `{"AWS": "111111111111"}`, `{"AWS": "arn:aws:iam::111111111111:root"}`,
		`{"AWS": "arn:aws:iam::222222222222:role/ci"}`, `{"AWS": "arn:aws:iam::111111111111:role/aws-service-role/replication.ecr.amazonaws.com/AWSServiceRoleForECRReplication"}`,
		`{"AWS": "arn:aws:sts::222222222222:assumed-role/ci/run-1"}`, `{"AWS": "arn:aws:iam::222222222222:user/alice"}`,
		`{"AWS": "arn:aws:sts::222222222222:federated-user/bob"}`, `{"Service": "replication.ecr.amazonaws.com"}`,
		`{"AWS": ["222222222222", "arn:aws:sts::222222222222:assumed-role/ci/run-1", "arn:aws:iam::222222222222:role/ci"]}`,
		`{"Federated": "*"}`, `{"CanonicalUser": "*"}`, `{"AWS": "arn:aws:iam::111111111111:role/c*"}`, `{"Service": "*", "AWS": "333333333333"}`}
	genActions = []string{`"ecr:ReplicateImage"`, `"ecr:*"`, `"ECR:replicate*"`, `"*"`, `"ecr:Get*"`, `"ecr:?atchGetImage"`, `"s3:GetObject"`,
		`["ecr:CreateRepository", "ecr:ReplicateImage"]`, `["ecr:BatchGetImage", "ecr:*Layer*"]`, `[]`}
	genResources = []string{`"*"`, `"arn:aws:ecr:*:222222222222:repository/*"`, `"arn:aws:ecr:ap-northeast-1:222222222222:repository/my-*"`,
		`"arn:aws:ecr:${aws:RequestedRegion}:222222222222:repository/${aws:username}"`, `"arn:aws:ecr:*:*:repository/${aws:PrincipalTag/team, 'my'}-*"`,
		`"arn:aws:s3:::b/${aws:userid}${*}"`, `["arn:aws:ecr:*:222222222222:repository/${s:k}", "arn:aws:ecr:*:*:repository/x?"]`,
		`"arn:aws:ecr:*:222222222222:repository/my-repo"`, `"arn:aws:ecr:*:*:repository/${aws:PrincipalAccount}*"`}
	genOps = []string{"StringEquals", "StringNotEquals", "StringEqualsIgnoreCase", "StringNotEqualsIgnoreCase", "StringLike", "StringNotLike",
		"NumericEquals", "NumericNotEquals", "NumericLessThan", "NumericGreaterThanEquals", "DateEquals", "DateLessThan", "DateGreaterThan",
		"Bool", "BinaryEquals", "IpAddress", "NotIpAddress", "ArnEquals", "ArnLike", "ArnNotEquals", "ArnNotLike", "Null"}
	genKeys = []string{"aws:PrincipalOrgID", "aws:SourceAccount", "aws:PrincipalArn", "aws:PrincipalAccount", "aws:PrincipalType",
		"aws:SecureTransport", "aws:SourceIp", "aws:CurrentTime", "aws:TagKeys", "aws:PrincipalTag/team", "s:k", "S:K", "s:n", "aws:SourceArn", "aws:username"}
	genValues = map[family][]string{
		famString:  {"o-abc", "team-*", "Prod", "prod", "111111111111", "a?", "${aws:username}", "${s:k, 'x'}", "${aws:PrincipalAccount}", "*", "", "${?}x"},
		famNumeric: {"3", "10", "-1.5"},
		famDate:    {"2026-01-01T00:00:00Z", "1700000000", "2030-01-01"},
		famBool:    {"true", "false", "${s:k}"},
		famBinary:  {"QQ==", "YWJj"},
		famIP:      {"10.0.0.0/8", "::1", "192.168.1.1"},
		famARN:     {"arn:aws:iam::111111111111:*", "arn:aws:s3:::b*", "arn:aws:iam::${aws:PrincipalAccount}:role/*", "arn:*:iam::*:role/ci"},
		famNull:    {"true", "false"},
	}
	genContextValues = []string{"o-abc", "team-a", "prod", "Prod", "111111111111", "222222222222", "true", "false", "3", "10", "x",
		"2026-01-01T00:00:00Z", "1800000000", "10.1.2.3", "::ffff:10.0.0.1", "QQ==", "A", "arn:aws:iam::111111111111:role/ci",
		"arn:aws:s3:::bucket", "a1", "", "ci", "my"}
	genCallers = []Principal{
		ReplicationPrincipal("111111111111"),
		{ARN: "arn:aws:iam::222222222222:user/alice"},
		{ARN: "arn:aws:iam::222222222222:role/ci", Account: "222222222222", Type: TypeRole, Name: "ci"},
		{ARN: "arn:aws:sts::222222222222:assumed-role/ci/run-1"},
		{ARN: "arn:aws:iam::111111111111:root", Account: "111111111111", Type: TypeAccount},
		{ARN: "arn:aws:sts::222222222222:federated-user/bob"},
		{Type: TypeService, Service: "replication.ecr.amazonaws.com"},
		{Type: TypeAnonymous},
	}
	genReqActions   = []string{"ecr:ReplicateImage", "ecr:BatchGetImage", "ecr:CreateRepository", "s3:GetObject", "ECR:GETDOWNLOADURLFORLAYER"}
	genReqResources = []string{"arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo", "arn:aws:ecr:us-east-1:111111111111:repository/x1",
		"arn:aws:s3:::b/alice*", "*", "arn:aws:ecr:eu-west-1:222222222222:repository/ci"}
)

func pick(r *rand.Rand, s []string) string { return s[r.Intn(len(s))] }

func genPolicy(r *rand.Rand) string {
	var stmts []string
	for n := 1 + r.Intn(4); n > 0; n-- {
		var el []string
		el = append(el, fmt.Sprintf(`"Effect": %q`, []string{"Allow", "Deny"}[r.Intn(2)]))
		if r.Intn(3) == 0 {
			el = append(el, `"Sid": "S`+strconv.Itoa(n)+`"`)
		}
		switch r.Intn(4) {
		case 0, 1:
			el = append(el, `"Principal": `+pick(r, genPrincipals))
		case 2:
			el = append(el, `"NotPrincipal": `+pick(r, genPrincipals))
		}
		if r.Intn(4) == 0 {
			el = append(el, `"NotAction": `+pick(r, genActions))
		} else {
			el = append(el, `"Action": `+pick(r, genActions))
		}
		switch r.Intn(4) {
		case 0, 1:
			el = append(el, `"Resource": `+pick(r, genResources))
		case 2:
			el = append(el, `"NotResource": `+pick(r, genResources))
		}
		if r.Intn(3) > 0 {
			var ops []string
			for _, op := range genOperators(r) {
				fam := baseOps[strings.TrimSuffix(op[strings.Index(op, ":")+1:], "IfExists")].fam
				var keys []string
				for k := 1 + r.Intn(2); k > 0; k-- {
					vals := genValues[fam]
					v := `"` + pick(r, vals) + `"`
					if r.Intn(3) == 0 {
						v = `["` + pick(r, vals) + `", "` + pick(r, vals) + `"]`
					}
					keys = append(keys, fmt.Sprintf(`%q: %s`, pick(r, genKeys), v))
				}
				ops = append(ops, fmt.Sprintf(`%q: {%s}`, op, strings.Join(keys, ", ")))
			}
			el = append(el, `"Condition": {`+strings.Join(ops, ", ")+`}`)
		}
		stmts = append(stmts, "{"+strings.Join(el, ", ")+"}")
	}
	version := []string{`"Version": "2012-10-17", `, `"Version": "2008-10-17", `, ``}[r.Intn(3)]
	return `{` + version + `"Statement": [` + strings.Join(stmts, ", ") + `]}`
}

// genOperators picks distinct condition operators with their qualifiers.
func genOperators(r *rand.Rand) []string {
	seen := map[string]bool{}
	var out []string
	for n := 1 + r.Intn(3); n > 0; n-- {
		op := pick(r, genOps)
		if op != "Null" || r.Intn(3) == 0 {
			switch r.Intn(5) {
			case 0:
				op = "ForAnyValue:" + op
			case 1:
				op = "ForAllValues:" + op
			}
			if r.Intn(3) == 0 {
				op += "IfExists"
			}
		}
		if !seen[op] {
			seen[op] = true
			out = append(out, op)
		}
	}
	return out
}

func genRequest(r *rand.Rand) Request {
	req := Request{Principal: genCallers[r.Intn(len(genCallers))], Action: pick(r, genReqActions), Resource: pick(r, genReqResources)}
	if r.Intn(4) == 0 {
		req.ResourceAccount = []string{"111111111111", "222222222222"}[r.Intn(2)]
	}
	req.Context = map[string][]string{}
	seen := map[string]bool{}
	for n := r.Intn(6); n > 0; n-- {
		k := pick(r, genKeys)
		if seen[strings.ToLower(k)] {
			continue // two spellings of one key merge in map order
		}
		seen[strings.ToLower(k)] = true
		switch r.Intn(6) {
		case 0:
			req.Context[k] = nil
		case 1:
			req.Context[k] = []string{pick(r, genContextValues), pick(r, genContextValues)}
		default:
			req.Context[k] = []string{pick(r, genContextValues)}
		}
	}
	return req
}

func toReference(req Request) reference.Request {
	return reference.Request{Principal: reference.Principal(req.Principal), Action: req.Action, Resource: req.Resource,
		ResourceAccount: req.ResourceAccount, Context: req.Context}
}

// allowedDivergence is where the evaluator deliberately parts from the
// reference: documents the reference refused and AWS accepts.
func allowedDivergence(doc string, oldErr error) bool {
	// Issue 9 item 19: ForAllValues:Null and ForAnyValue:Null are stored by
	// AWS, so they are evaluated, no longer refused.
	return strings.Contains(oldErr.Error(), "Null takes neither IfExists nor a set qualifier") &&
		(strings.Contains(doc, "ForAllValues:Null") || strings.Contains(doc, "ForAnyValue:Null"))
}

// compareOne checks one document and request against the reference.
func compareOne(t *testing.T, doc string, reqs []Request) {
	t.Helper()
	p, err := Parse([]byte(doc))
	rp, rerr := reference.Parse([]byte(doc))
	switch {
	case err != nil && rerr != nil:
		if err.Error() != rerr.Error() && !strings.Contains(rerr.Error(), "Null takes neither IfExists nor a set qualifier") {
			t.Fatalf("Parse(%s): error %q, the reference says %q", doc, err, rerr)
		}
		return
	case err != nil:
		t.Fatalf("Parse(%s): %v; the reference parses it", doc, err)
	case rerr != nil:
		if !allowedDivergence(doc, rerr) {
			t.Fatalf("Parse(%s) succeeds; the reference says %v", doc, rerr)
		}
		return
	}
	for _, req := range reqs {
		for _, identity := range [][]*Policy{nil, {p}, {nil, p}} {
			var rid []*reference.Policy
			for _, ip := range identity {
				if ip == nil {
					rid = append(rid, nil)
				} else {
					rid = append(rid, rp)
				}
			}
			got := EvaluateWithIdentity(p, identity, req)
			want := reference.EvaluateWithIdentity(rp, rid, toReference(req))
			gj, _ := json.Marshal(got)
			wj, _ := json.Marshal(want)
			if string(gj) != string(wj) {
				t.Fatalf("policy %s\nrequest %+v, %d identity policies\n got %s\nwant %s", doc, req, len(identity), gj, wj)
			}
			// Decide differs only in the prose it leaves out.
			quiet := Decide(p, identity, req)
			got.Summary = ""
			for _, srs := range [][]StatementResult{got.Statements, got.Deciding} {
				for i := range srs {
					srs[i].Reason = ""
					for j := range srs[i].FailedConditions {
						srs[i].FailedConditions[j].Reason = ""
					}
				}
			}
			gj, _ = json.Marshal(got)
			qj, _ := json.Marshal(quiet)
			if string(gj) != string(qj) {
				t.Fatalf("policy %s\nrequest %+v: Decide\n got %s\nwant %s", doc, req, qj, gj)
			}
		}
	}
}

func TestDifferentialCorpus(t *testing.T) {
	r := rand.New(rand.NewSource(1))
	docs := corpusPolicies(t)
	if len(docs) < 200 {
		t.Fatalf("only %d corpus documents: the harvest is broken", len(docs))
	}
	for _, doc := range docs {
		reqs := []Request{benchRequest}
		for i := 0; i < 6; i++ {
			reqs = append(reqs, genRequest(r))
		}
		compareOne(t, doc, reqs)
	}
}

func TestDifferentialGenerated(t *testing.T) {
	r := rand.New(rand.NewSource(2))
	n := 1500
	if testing.Short() {
		n = 200
	}
	for i := 0; i < n; i++ {
		doc := genPolicy(r)
		reqs := make([]Request, 6)
		for j := range reqs {
			reqs[j] = genRequest(r)
		}
		compareOne(t, doc, reqs)
	}
}

// FuzzDifferential compares the evaluator with the reference on fuzzed
// documents; the seed picks the requests.
func FuzzDifferential(f *testing.F) {
	r := rand.New(rand.NewSource(3))
	for i := 0; i < 20; i++ {
		f.Add([]byte(genPolicy(r)), int64(i))
	}
	for _, s := range fuzzSeeds {
		f.Add([]byte(s), int64(0))
	}
	f.Fuzz(func(t *testing.T, doc []byte, seed int64) {
		if len(doc) > 1<<14 {
			return
		}
		r := rand.New(rand.NewSource(seed))
		reqs := []Request{genRequest(r), genRequest(r), genRequest(r)}
		compareOne(t, string(doc), reqs)
	})
}
