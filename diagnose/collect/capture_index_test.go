package collect_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"

	"github.com/ecrdoctor/ecrdoctor/diagnose"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect"
	"github.com/ecrdoctor/ecrdoctor/diagnose/collect/awstest"
)

// TestCaptureImageIndex: with ReadImageManifests, an image index whose
// replication is COMPLETE somewhere has its manifest read (BatchGetImage,
// moto) and the replication status of each image it lists; a child that
// FAILED where the index replicated is INDEX_CHILD_NOT_REPLICATED. Plain
// images (the seed case) get no such read.
func TestCaptureImageIndex(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	indexWorld(t, env)

	opts := captureOpts(env)
	opts.Now = time.Now().Add(time.Hour)
	opts.ReadImageManifests = true
	dir, stats, _ := runCapture(t, opts)
	if n := env.Moto.Counts()["ecr:BatchGetImage"]; n != 1 {
		t.Fatalf("%d BatchGetImage calls, want 1 for the index (warnings %q)", n, stats.Warnings)
	}
	// The two newest images' own status, then the index's two platform images.
	if n := env.Moto.Counts()["ecr:DescribeImageReplicationStatus"]; n != 4 {
		t.Errorf("%d DescribeImageReplicationStatus calls, want 4 (the attestation manifest's is not read)", n)
	}
	for _, w := range stats.Warnings {
		if strings.Contains(w, "--read-image-manifests") {
			t.Errorf("warning %q, though the manifests were read", w)
		}
	}
	rep := analyzeDir(t, dir)
	var summary string
	for _, f := range rep.Findings {
		if f.Code == diagnose.CodeIndexChildNotReplicated {
			summary = f.Summary
		}
	}
	if summary == "" || !strings.Contains(summary, "linux/arm64") || strings.Contains(summary, "linux/amd64") {
		t.Errorf("INDEX_CHILD_NOT_REPLICATED = %q; want the arm64 image only (findings %+v)", summary, rep.Findings)
	}
}

// TestCaptureImageIndexManifestOptIn: by default the index's manifest is
// not read, because BatchGetImage is a pull: "Amazon ECR updates the
// LastRecordedPullTime timestamp on every pull", which lifecycle rules may
// act on (https://docs.aws.amazon.com/AmazonECR/latest/userguide/pull-time-update-exclusions.html).
// The report then says the index's platform images were not checked,
// rather than nothing.
func TestCaptureImageIndexManifestOptIn(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
	indexWorld(t, env)

	opts := captureOpts(env)
	opts.Now = time.Now().Add(time.Hour)
	dir, _, _ := runCapture(t, opts)
	if n := env.Moto.Counts()["ecr:BatchGetImage"]; n != 0 {
		t.Fatalf("%d BatchGetImage calls without ReadImageManifests, want 0: it updates the image's LastRecordedPullTime", n)
	}
	if n := env.Moto.Counts()["ecr:DescribeImageReplicationStatus"]; n != 2 {
		t.Errorf("%d DescribeImageReplicationStatus calls, want 2 (the two newest images; no platform image)", n)
	}
	want := "image index " + repo + ":multi: its platform images were not checked: reading the index manifest (ecr:BatchGetImage) counts as a pull and updates LastRecordedPullTime"
	rep := analyzeDir(t, dir)
	found := false
	for _, w := range rep.Warnings {
		found = found || strings.Contains(w, want) && strings.Contains(w, "--read-image-manifests")
	}
	if !found {
		t.Errorf("report warnings %q; want one containing %q and naming --read-image-manifests", rep.Warnings, want)
	}
	for _, f := range rep.Findings {
		if f.Code == diagnose.CodeIndexChildNotReplicated {
			t.Errorf("INDEX_CHILD_NOT_REPLICATED without the index's manifest: %q", f.Summary)
		}
	}
}

func analyzeDir(t *testing.T, dir string) *diagnose.Report {
	t.Helper()
	snap, err := collect.LoadDir(context.Background(), dir, collect.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := diagnose.Analyze(snap)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

// indexWorld builds the seed's source with an image index "multi" that
// replicated to dst, whose arm64 image FAILED there (amd64 COMPLETE), and
// resets moto's call counts.
func indexWorld(t *testing.T, env *awstest.Env) {
	t.Helper()
	s := seedScenario(time.Now(), 0)
	s.Images = 0
	s.Destinations[crossAcctDest] = awstest.Destination{RepositoryExists: true, RegistryPolicy: awstest.ReplicationGrant(src, dst, srcReg, "my-")}
	env.Build(s)
	admin := env.Admin(src, srcReg)
	ctx := context.Background()
	var children []string
	for i, arch := range []string{"amd64", "arm64"} {
		m := fmt.Sprintf(`{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","size":%d,"digest":"sha256:%064d"},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","size":%d,"digest":"sha256:%064d"}]}`, 10+i, i, 100+i, i+7) // moto digests the layers
		out, err := admin.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(m)})
		if err != nil {
			t.Fatal(err)
		}
		children = append(children, fmt.Sprintf(`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":%q,"size":%d,"platform":{"os":"linux","architecture":%q}}`, aws.ToString(out.Image.ImageId.ImageDigest), len(m), arch))
	}
	time.Sleep(1100 * time.Millisecond) // the index is the newest push (moto's times are to the second)
	// buildx's attestation manifest: no pull needs it, so its status is not read.
	attestation := `{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:` + strings.Repeat("a", 64) + `","size":840,"platform":{"os":"unknown","architecture":"unknown"}}`
	index := `{"schemaVersion":2,"mediaType":"application/vnd.oci.image.index.v1+json","manifests":[` + children[0] + "," + children[1] + "," + attestation + `]}`
	out, err := admin.PutImage(ctx, &ecr.PutImageInput{RepositoryName: aws.String(repo), ImageManifest: aws.String(index), ImageTag: aws.String("multi"), ImageManifestMediaType: aws.String(diagnose.MediaTypeOCIIndex)})
	if err != nil {
		t.Fatal(err)
	}
	indexDigest := aws.ToString(out.Image.ImageId.ImageDigest)
	complete := []map[string]string{{"region": srcReg, "registryId": dst, "status": "COMPLETE"}}
	env.Moto.Statuses[indexDigest] = complete
	env.Moto.Statuses[digestOf(children[0])] = complete
	env.Moto.Statuses[digestOf(children[1])] = []map[string]string{{"region": srcReg, "registryId": dst, "status": "FAILED"}}
	env.Moto.ResetCounts()
}

func digestOf(child string) string {
	i := len(`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"`)
	return child[i : i+71]
}
