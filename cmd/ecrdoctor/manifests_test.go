package main

import (
	"flag"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// TestReadImageManifestsFlag: --read-image-manifests is what turns on the
// index manifest read (ecr:BatchGetImage, a pull that updates
// LastRecordedPullTime) for why and snapshot; without it the capture does
// not read manifests. Its help says why it is off, and it is refused where
// nothing would read a manifest (--snapshot, snapshot --all, scan).
func TestReadImageManifestsFlag(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"why", "snapshot"} {
		cmd := whyCommand(IO{})
		if name == "snapshot" {
			cmd = snapshotCommand(IO{})
		}
		for _, tc := range []struct {
			args []string
			want bool
		}{{[]string{"--repo", "my-repo"}, false}, {[]string{"--repo", "my-repo", "--read-image-manifests"}, true}} {
			set := flag.NewFlagSet(name, flag.ContinueOnError)
			for _, f := range cmd.Flags {
				if err := f.Apply(set); err != nil {
					t.Fatal(err)
				}
			}
			if err := set.Parse(tc.args); err != nil {
				t.Fatal(err)
			}
			c := cli.NewContext(cli.NewApp(), set, nil)
			c.Command = cmd
			opts, err := captureOptions(c)
			if err != nil {
				t.Fatal(err)
			}
			if opts.ReadImageManifests != tc.want {
				t.Errorf("%s %v: ReadImageManifests = %v, want %v", name, tc.args, opts.ReadImageManifests, tc.want)
			}
		}
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"why", "--repo", "my-repo", "--snapshot", ".", "--read-image-manifests"}, "why: --read-image-manifests reads AWS; it has no effect with --snapshot"},
		{[]string{"snapshot", "--all", "--out", "x", "--read-image-manifests"}, "snapshot: --read-image-manifests is for --repo"},
		{[]string{"scan", "--read-image-manifests"}, "scan: unknown flag --read-image-manifests"},
	} {
		code, _, stderr := run(t, "", tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d with %q", tc.args, code, stderr, exitUsage, tc.want)
		}
	}
	for _, name := range []string{"why", "snapshot"} {
		_, stdout, _ := run(t, "", name, "--help")
		if !strings.Contains(stdout, "--read-image-manifests") || !strings.Contains(stdout, "LastRecordedPullTime") {
			t.Errorf("%s --help does not give --read-image-manifests and why it is off:\n%s", name, stdout)
		}
	}
}
