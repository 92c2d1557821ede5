package diagnose

import "testing"

// TestBackfillCommandValidates: every value pasted into the printed command
// is an account id or a region; anything else gives no command at all.
func TestBackfillCommandValidates(t *testing.T) {
	src := Location{Account: "111111111111", Region: "ap-northeast-1"}
	cmd, ok := backfillCommand(src, Location{Account: "222222222222", Region: "eu-west-1"})
	// The CLI's shorthand for the ReplicationDestination structure
	// (StartReplicationBackfill: destination{region, registryId}).
	want := "aws ecr start-replication-backfill --region ap-northeast-1 --destination region=eu-west-1,registryId=222222222222"
	if !ok || cmd != want {
		t.Errorf("command = %q, %v; want %q", cmd, ok, want)
	}
	for _, bad := range []Location{
		{Account: "222222222222", Region: "eu-west-1;rm -rf ~"},
		{Account: "22222222222'", Region: "eu-west-1"},
		{Account: "2222", Region: "eu-west-1"},
		{Account: "222222222222", Region: "eu-west-1,registryId=333333333333"},
	} {
		if cmd, ok := backfillCommand(src, bad); ok || cmd != "" {
			t.Errorf("destination %q: command %q printed, want none", bad, cmd)
		}
	}
	if _, ok := backfillCommand(Location{Account: "111111111111", Region: "$(id)"}, Location{Account: "222222222222", Region: "eu-west-1"}); ok {
		t.Error("a source region that is not a region gave a command")
	}
}
