package diagnose

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/ecrdoctor/ecrdoctor/diagnose/policy"
)

// Policy documents as text: the JSON and shell forms a fix prints, and
// the ARN comparisons findings explain.

// terraformRegistryPolicy is the aws_ecr_registry_policy resource that puts
// the merged policy.
func terraformRegistryPolicy(dst Location, name string, merged []byte) string {
	body := strings.ReplaceAll(string(merged), "${", "$${")
	body = strings.ReplaceAll(body, "%{", "%%{")
	var b strings.Builder
	fmt.Fprintf(&b, "# In account %s, region %s: a registry has one registry policy per region,\n", dst.Account, dst.Region)
	fmt.Fprintf(&b, "# so this replaces any other aws_ecr_registry_policy there.\n")
	fmt.Fprintf(&b, "resource \"aws_ecr_registry_policy\" %q {\n", name)
	b.WriteString("  policy = <<-EOT\n")
	for _, line := range strings.Split(body, "\n") {
		b.WriteString("    " + line + "\n")
	}
	b.WriteString("  EOT\n}")
	return b.String()
}

// shellQuote quotes s for a POSIX shell.
func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// compactJSON returns text without insignificant whitespace (or text itself
// when it is not JSON).
func compactJSON(text string) string {
	var b bytes.Buffer
	if err := json.Compact(&b, []byte(text)); err != nil {
		return text
	}
	return b.String()
}

// splitPolicy returns a policy's top-level elements and its statements as
// written, whether Statement is one object or a list.
func splitPolicy(text string) (map[string]json.RawMessage, []json.RawMessage, error) {
	var top map[string]json.RawMessage
	if err := json.Unmarshal([]byte(text), &top); err != nil {
		return nil, nil, fmt.Errorf("not a JSON object: %w", err)
	}
	st := bytes.TrimSpace(top["Statement"])
	switch {
	case len(st) == 0:
		return top, nil, nil
	case st[0] == '[':
		var list []json.RawMessage
		if err := json.Unmarshal(st, &list); err != nil {
			return nil, nil, fmt.Errorf("Statement: %w", err)
		}
		return top, list, nil
	}
	return top, []json.RawMessage{st}, nil
}

// nearestARN returns the pattern in candidates closest to arn.
func nearestARN(candidates []string, arn string) string {
	best, bestD := "", -1
	for _, c := range candidates {
		d := EditDistance(c, arn)
		if bestD < 0 || d < bestD {
			best, bestD = c, d
		}
	}
	return best
}

// describeARNDifference says which ARN field differs between the pattern a
// statement names and the repository ARN.
func describeARNDifference(pattern, arn string) string {
	p := strings.SplitN(pattern, ":", 6)
	r := strings.SplitN(arn, ":", 6)
	if len(p) != 6 || p[0] != "arn" {
		return fmt.Sprintf("%q is not an ECR repository ARN of the form arn:aws:ecr:REGION:ACCOUNT:repository/NAME.", pattern)
	}
	names := []string{"prefix", "partition", "service", "region", "account", "resource"}
	var diffs []string
	for i := 1; i < 6; i++ {
		if !policy.MatchWildcard(p[i], r[i], false) {
			switch names[i] {
			case "service":
				diffs = append(diffs, fmt.Sprintf("the service is %q instead of \"ecr\"", p[i]))
			case "resource":
				diffs = append(diffs, fmt.Sprintf("the repository part is %q instead of %q", p[i], r[i]))
			default:
				diffs = append(diffs, fmt.Sprintf("the %s is %q instead of %q", names[i], p[i], r[i]))
			}
		}
	}
	if len(diffs) == 0 {
		return ""
	}
	return fmt.Sprintf("The nearest one, %s, was probably meant for %s: %s.", pattern, arn, strings.Join(diffs, "; "))
}
