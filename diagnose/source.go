package diagnose

import "github.com/ecrdoctor/ecrdoctor/diagnose/awsid"

// Source is where a read or a piece of evidence came from: the AWS call
// and registry, the file, the CloudTrail record (awsid.Source). CloudTrail
// events carry the same type (trail.Event.Source), so evidence quotes
// them as they were read.
type Source = awsid.Source
