package collect

import (
	"context"
	"strings"
	"testing"
)

// TestLoadRefusesUnsafeValues: every account, region and name a snapshot
// gives that reaches a printed command is checked at load; anything else is
// bad input naming the file and the field (exit 3 in the CLI). A value
// pasted into a shell ("$(...)", quotes, spaces) never gets that far.
func TestLoadRefusesUnsafeValues(t *testing.T) {
	for _, tc := range []struct {
		name, file, content, want string
	}{
		{"destination region", "111111111111/ap-northeast-1/describe-registry.json",
			`{"registryId":"111111111111","replicationConfiguration":{"rules":[{"destinations":[{"region":"ap-northeast-1; rm -rf ~","registryId":"222222222222"}]}]}}`,
			`replicationConfiguration.rules[0].destinations[0].region "ap-northeast-1; rm -rf ~" is not an AWS region name`},
		{"destination account", "111111111111/ap-northeast-1/describe-registry.json",
			`{"registryId":"111111111111","replicationConfiguration":{"rules":[{"destinations":[{"region":"ap-northeast-1","registryId":"$(id)"}]}]}}`,
			`replicationConfiguration.rules[0].destinations[0].registryId "$(id)" is not a 12-digit AWS account ID`},
		{"filter", "111111111111/ap-northeast-1/describe-registry.json",
			`{"registryId":"111111111111","replicationConfiguration":{"rules":[{"destinations":[{"region":"ap-northeast-1","registryId":"222222222222"}],"repositoryFilters":[{"filter":"my-'repo","filterType":"PREFIX_MATCH"}]}]}}`,
			`repositoryFilters[0].filter "my-'repo" is not a filter ECR accepts`},
		{"manifest repository", "snapshot.json",
			`{"source":{"account":"111111111111","region":"ap-northeast-1"},"repository":"my repo","captured_at":"2026-11-26T10:00:00Z"}`,
			`repository "my repo" is not an ECR repository name`},
		{"repository name", "111111111111/ap-northeast-1/describe-repositories.json",
			`{"repositories":[{"registryId":"111111111111","repositoryName":"../my-repo"}]}`,
			`repositories[0].repositoryName "../my-repo" is not an ECR repository name`},
		{"status region", "111111111111/ap-northeast-1/describe-image-replication-status/my-repo/latest.json",
			`{"repositoryName":"my-repo","replicationStatuses":[{"region":"x'y","registryId":"222222222222","status":"FAILED"}]}`,
			`replicationStatuses[0].region "x'y" is not an AWS region name`},
		{"event destination", "111111111111/ap-northeast-1/lookup-events.json",
			`{"Events":[{"EventId":"e1","EventName":"ReplicateImage","EventTime":"2026-11-26T09:00:00Z","CloudTrailEvent":"{\"eventVersion\":\"1.08\",\"userIdentity\":{\"type\":\"AssumedRole\",\"arn\":\"arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForECRReplication/ReplicationSession\"},\"eventTime\":\"2026-11-26T09:00:00Z\",\"eventSource\":\"ecr.amazonaws.com\",\"eventName\":\"ReplicateImage\",\"awsRegion\":\"ap-northeast-1\",\"errorCode\":\"AccessDenied\",\"errorMessage\":\"denied\",\"requestParameters\":{\"repositoryName\":\"my-repo\",\"registryId\":\"2222'22222222\"},\"recipientAccountId\":\"111111111111\",\"resources\":[{\"ARN\":\"arn:aws:ecr:ap-north;east-1:2222'22222222:repository/my-repo\"}]}"}]}`,
			`lookup-events.json#1: the destination account "2222'22222222" is not a 12-digit AWS account ID`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := writeSnapshot(t, with(baseFiles, map[string]string{tc.file: tc.content}))
			_, err := LoadDir(context.Background(), dir, LoadOptions{Repository: "my-repo"})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want one containing %q", err, tc.want)
			}
			if tc.name != "event destination" && !strings.Contains(err.Error(), tc.file) && !strings.Contains(err.Error(), strings.ReplaceAll(tc.file, "/", "\\")) {
				t.Errorf("err = %v, want it to name %s", err, tc.file)
			}
		})
	}
}

// TestLoadSkipsUnsafeFileNames: a file named for a repository or tag ECR
// does not allow is skipped with a warning that says why.
func TestLoadSkipsUnsafeFileNames(t *testing.T) {
	bad := "222222222222/ap-northeast-1/get-repository-policy/My_Repo.json"
	dir := writeSnapshot(t, with(baseFiles, map[string]string{bad: `{"registryId":"222222222222","policyText":"{}"}`}))
	snap, err := LoadDir(context.Background(), dir, LoadOptions{Repository: "my-repo"})
	if err != nil {
		t.Fatal(err)
	}
	if w := strings.Join(snap.Warnings, "\n"); !strings.Contains(w, "My_Repo.json: skipped: the repository, tag or digest it is named for is not a name ECR allows") {
		t.Errorf("warnings: %s", w)
	}
}
