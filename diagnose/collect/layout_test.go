package collect

import "testing"

// Digest file names carry no ':' (refused in a Go module and on Windows),
// and the loader reads them back as the digest.
func TestReplicationStatusNames(t *testing.T) {
	for in, want := range map[string]string{
		"sha256:2eac0ea0d4e1": ReplicationStatusDir + "/team/app/sha256@2eac0ea0d4e1",
		"v1.2.3":              ReplicationStatusDir + "/team/app/v1.2.3",
	} {
		got := ReplicationStatusName("team/app", in)
		if got != want {
			t.Errorf("ReplicationStatusName(%q) = %q, want %q", in, got, want)
		}
		_, file, _ := cutLastSep(got, "/")
		if back := imageFromFileName(file); back != in {
			t.Errorf("the loader reads %q back as %q, want %q", file, back, in)
		}
	}
}
