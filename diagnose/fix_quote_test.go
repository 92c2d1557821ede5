package diagnose_test

import (
	"strings"
	"testing"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
)

// TestPrintedCommandsQuoteEveryValue: a value placed in a printed aws
// command is shell-quoted even when it is not the word it should be (the
// loader refuses such snapshots; this is the second line of defence), so
// pasting the command never runs anything else.
func TestPrintedCommandsQuoteEveryValue(t *testing.T) {
	snap := load(t, "seed-grant-in-repository-policy")
	old := diagnose.Location{Account: "222222222222", Region: "ap-northeast-1"}
	bad := diagnose.Location{Account: "222222222222", Region: "ap-northeast-1;id"}
	reg := snap.Registries[old]
	delete(snap.Registries, old)
	reg.Location = bad
	snap.Registries[bad] = reg
	rc := snap.Registries[snap.Source].DescribeRegistry.Value.ReplicationConfiguration
	for i := range rc.Rules {
		for j := range rc.Rules[i].Destinations {
			if d := &rc.Rules[i].Destinations[j]; d.RegistryID == old.Account && d.Region == old.Region {
				d.Region = bad.Region
			}
		}
	}
	var commands []string
	for _, f := range analyze(t, snap).Findings {
		if f.Fix == nil {
			continue
		}
		if f.Fix.AWSCLI != "" {
			commands = append(commands, f.Fix.AWSCLI)
		}
		for _, s := range f.Fix.Steps {
			for _, part := range strings.Split(s, "`")[1:] {
				if strings.HasPrefix(part, "aws ") {
					commands = append(commands, part)
				}
			}
		}
	}
	if len(commands) == 0 {
		t.Fatal("no aws command printed: the test proves nothing")
	}
	for _, c := range commands {
		if strings.Contains(c, "--region ap-northeast-1;id") || !strings.Contains(c, "--region 'ap-northeast-1;id'") {
			t.Errorf("the region is not quoted: %s", c)
		}
	}
}
