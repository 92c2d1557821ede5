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

// TestCaptureImageIndex: an image index whose replication is COMPLETE
// somewhere has its manifest read (BatchGetImage, moto) and the
// replication status of each image it lists; a child that FAILED where the
// index replicated is INDEX_CHILD_NOT_REPLICATED. Plain images (the seed
// case) get no such read.
func TestCaptureImageIndex(t *testing.T) {
	t.Parallel()
	env := awstest.New(t)
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

	opts := captureOpts(env)
	opts.Now = time.Now().Add(time.Hour)
	dir, stats, _ := runCapture(t, opts)
	if n := env.Moto.Counts()["ecr:BatchGetImage"]; n != 1 {
		t.Fatalf("%d BatchGetImage calls, want 1 for the index (warnings %q)", n, stats.Warnings)
	}
	// The two newest images' own status, then the index's two platform images.
	if n := env.Moto.Counts()["ecr:DescribeImageReplicationStatus"]; n != 4 {
		t.Errorf("%d DescribeImageReplicationStatus calls, want 4 (the attestation manifest's is not read)", n)
	}
	snap, err := collect.LoadDir(ctx, dir, collect.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	rep, err := diagnose.Analyze(snap)
	if err != nil {
		t.Fatal(err)
	}
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

func digestOf(child string) string {
	i := len(`{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"`)
	return child[i : i+71]
}
