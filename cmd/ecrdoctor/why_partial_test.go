package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A destination's describe-repositories that is one page of several
// (nextToken set, as `aws ecr describe-repositories --max-items` leaves it)
// does not show that a repository missing from it does not exist: why must
// not blame a missing ecr:CreateRepository grant on it.
func TestWhyDestinationRepositoriesOnePageOfSeveral(t *testing.T) {
	dir := copyFixture(t, "healthy")
	dst := filepath.Join(dir, "222222222222", "ap-northeast-1")
	write := func(name, body string) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(dst, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// The grant allows ReplicateImage only: a missing repository could not be created.
	write("get-registry-policy.json", `{"registryId":"222222222222","policyText":"{\"Version\":\"2012-10-17\",\"Statement\":[{\"Sid\":\"ReplicationAccessCrossAccount\",\"Effect\":\"Allow\",\"Principal\":{\"AWS\":\"arn:aws:iam::111111111111:root\"},\"Action\":[\"ecr:ReplicateImage\"],\"Resource\":[\"arn:aws:ecr:ap-northeast-1:222222222222:repository/*\"]}]}"}`)
	// One page without my-repo; there are more.
	write("describe-repositories.json", `{"repositories":[{"repositoryArn":"arn:aws:ecr:ap-northeast-1:222222222222:repository/billing-api","registryId":"222222222222","repositoryName":"billing-api"}],"nextToken":"page2"}`)

	code, stdout, stderr := run(t, "", "why", "--repo", "my-repo", "--snapshot", dir)
	if strings.Contains(stdout, "does not exist in 222222222222/ap-northeast-1") || strings.Contains(stdout, "CREATE_REPOSITORY_NOT_ALLOWED (error") {
		t.Errorf("why claims my-repo does not exist from one page of several:\n%s", stdout)
	}
	if code == exitFindings {
		t.Errorf("exit %d (failing) from one page of several; stderr %q\n%s", code, stderr, stdout)
	}
	// scan reads the same facts
	code, stdout, _ = run(t, "", "scan", "--snapshot", dir)
	if strings.Contains(stdout, "CREATE_REPOSITORY_NOT_ALLOWED") || code == exitFindings {
		t.Errorf("scan: exit %d, blames a missing CreateRepository grant from one page of several:\n%s", code, stdout)
	}
}
