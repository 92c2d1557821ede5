package policy_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/ecrdoctor/ecrdoctor/diagnose/awsid"
	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
)

// TestAudits runs the evaluator audits: each testdata/audit/*.txtar names
// the IAM rule it checks (its comment cites the IAM User Guide), holds the
// policies, and lists requests as `ecrdoctor simulate` flags with the
// decision IAM reaches. They were CLI scripts; the rules are the
// evaluator's, so they are tested here, and cmd keeps the scripts that test
// the command's interface.
//
// A case is a line `simulate --policy F [--identity-policy F]... (--principal
// P | --replication-from ACCOUNT) --action A --resource R [--resource-account
// ACCOUNT] [--context K=V]...` followed by `decision D`; `env NAME=VALUE`
// lines define $NAME.
func TestAudits(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("testdata", "audit", "*.txtar"))
	if len(files) == 0 {
		t.Fatal("no audits in testdata/audit")
	}
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".txtar"), func(t *testing.T) {
			ar, err := txtar.ParseFile(file)
			if err != nil {
				t.Fatal(err)
			}
			docs := map[string][]byte{}
			for _, f := range ar.Files {
				docs[f.Name] = f.Data
			}
			env := map[string]string{}
			var pending *auditCase
			n := 0
			for i, line := range strings.Split(string(ar.Comment), "\n") {
				line = strings.TrimSpace(line)
				where := file + ":" + strconv.Itoa(i+1)
				switch {
				case line == "" || strings.HasPrefix(line, "#"):
				case strings.HasPrefix(line, "env "):
					k, v, _ := strings.Cut(strings.TrimPrefix(line, "env "), "=")
					env[k] = v
				case strings.HasPrefix(line, "simulate "):
					if pending != nil {
						t.Errorf("%s: the previous case has no decision line", where)
					}
					pending = parseCase(t, where, strings.TrimPrefix(line, "simulate "), env)
				case strings.HasPrefix(line, "decision "):
					if pending == nil {
						t.Fatalf("%s: a decision without a simulate line", where)
					}
					pending.want = policy.Decision(strings.TrimPrefix(line, "decision "))
					pending.run(t, where, docs)
					pending = nil
					n++
				default:
					t.Fatalf("%s: cannot read %q", where, line)
				}
			}
			if pending != nil {
				t.Errorf("%s: the last case has no decision line", file)
			}
			if n == 0 {
				t.Errorf("%s holds no case", file)
			}
		})
	}
}

type auditCase struct {
	policy   string
	identity []string
	req      policy.Request
	want     policy.Decision
}

var flagRe = regexp.MustCompile(`--([a-z-]+) ('[^']*'|"[^"]*"|\S+)`)

// parseCase reads a case's flags; $NAME is expanded outside single quotes,
// as testscript does.
func parseCase(t *testing.T, where, args string, env map[string]string) *auditCase {
	t.Helper()
	c := &auditCase{req: policy.Request{Context: map[string][]string{}}}
	for _, m := range flagRe.FindAllStringSubmatch(args, -1) {
		v := m[2]
		if strings.HasPrefix(v, "'") {
			v = strings.Trim(v, "'")
		} else {
			v = os.Expand(strings.Trim(v, `"`), func(k string) string { return env[k] })
		}
		switch m[1] {
		case "policy":
			c.policy = v
		case "identity-policy":
			c.identity = append(c.identity, v)
		case "principal":
			p, err := policy.ParsePrincipal(v)
			if err != nil {
				t.Fatalf("%s: --principal: %v", where, err)
			}
			c.req.Principal = p
		case "replication-from":
			if !awsid.IsAccountID(v) {
				t.Fatalf("%s: --replication-from %q", where, v)
			}
			c.req.Principal = policy.ReplicationPrincipal(v)
			if c.req.Action == "" {
				c.req.Action = "ecr:ReplicateImage"
			}
		case "action":
			c.req.Action = v
		case "resource":
			c.req.Resource = v
		case "resource-account":
			c.req.ResourceAccount = v
		case "context":
			k, val, _ := strings.Cut(v, "=")
			c.req.Context[k] = append(c.req.Context[k], val)
		default:
			t.Fatalf("%s: flag --%s is not one an audit may use", where, m[1])
		}
	}
	return c
}

func (c *auditCase) run(t *testing.T, where string, docs map[string][]byte) {
	t.Helper()
	parse := func(name string) *policy.Policy {
		data, ok := docs[name]
		if !ok {
			t.Fatalf("%s: no file %s in the archive", where, name)
		}
		p, err := policy.Parse(data)
		if err != nil {
			t.Fatalf("%s: %s: %v", where, name, err)
		}
		return p
	}
	resource := parse(c.policy)
	var identity []*policy.Policy
	for _, f := range c.identity {
		identity = append(identity, parse(f))
	}
	res := policy.EvaluateWithIdentity(resource, identity, c.req)
	if res.Decision != c.want {
		t.Errorf("%s: %s by %s on %s: %s, want %s (%s)", where, c.req.Action, c.req.Principal.ARN, c.req.Resource, res.Decision, c.want, res.Summary)
	}
}
