package trail

import "testing"

// TestParseDenial follows the message formats of the IAM user guide,
// "Troubleshooting access denied error messages" (awsdocs/iam-user-guide,
// doc_source/troubleshoot_access-denied.md): "with an explicit deny in a
// type policy" and "because no type policy allows the action action", with
// one example per policy type; the guide's own examples are used verbatim
// where they differ from the common shape.
func TestParseDenial(t *testing.T) {
	const head = "User: arn:aws:sts::111111111111:assumed-role/AWSServiceRoleForECRReplication/ECRReplication is not authorized to perform: ecr:ReplicateImage on resource: arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo "
	cases := []struct {
		name, msg string
		want      *Denial
	}{
		{"seed: implicit, resource-based policy", seedMsg, &Denial{Kind: KindImplicit, PolicyType: PolicyResource}},
		{"implicit, identity-based policy", head + "because no identity-based policy allows the ecr:ReplicateImage action", &Denial{Kind: KindImplicit, PolicyType: PolicyIdentity}},
		{"implicit, permissions boundary", head + "because no permissions boundary allows the ecr:ReplicateImage action", &Denial{Kind: KindImplicit, PolicyType: PolicyBoundary}},
		{"implicit, session policy", head + "because no session policy allows the ecr:ReplicateImage action", &Denial{Kind: KindImplicit, PolicyType: PolicySession}},
		{"implicit, VPC endpoint policy", head + "because no VPC endpoint policy allows the ecr:ReplicateImage action", &Denial{Kind: KindImplicit, PolicyType: PolicyVPCEndpoint}},
		{"implicit, service control policy", head + "because no service control policy allows the ecr:ReplicateImage action", &Denial{Kind: KindImplicit, PolicyType: PolicySCP}},
		{"implicit, resource control policy", head + "because no resource control policy allows the ecr:ReplicateImage action", &Denial{Kind: KindImplicit, PolicyType: PolicyRCP}},
		{"explicit, resource-based policy", head + "with an explicit deny in a resource-based policy", &Denial{Kind: KindExplicit, PolicyType: PolicyResource}},
		{"explicit, identity-based policy (an)", head + "with an explicit deny in an identity-based policy", &Denial{Kind: KindExplicit, PolicyType: PolicyIdentity}},
		{"explicit, service control policy", head + "with an explicit deny in a service control policy", &Denial{Kind: KindExplicit, PolicyType: PolicySCP}},
		{"explicit, resource control policy", head + "with an explicit deny in a resource control policy", &Denial{Kind: KindExplicit, PolicyType: PolicyRCP}},
		{"explicit, permissions boundary", head + "with an explicit deny in a permissions boundary", &Denial{Kind: KindExplicit, PolicyType: PolicyBoundary}},
		{"explicit, session policy", head + "with an explicit deny in a session policy", &Denial{Kind: KindExplicit, PolicyType: PolicySession}},
		{"explicit, VPC endpoint policy", head + "with an explicit deny in a VPC endpoint policy", &Denial{Kind: KindExplicit, PolicyType: PolicyVPCEndpoint}},
		// The guide's "Access denied when a VPC request fails due to another
		// policy": "check for an explicit Deny statement for SNS:Publish in
		// your SCPs": the SCP is the policy to fix, the endpoint policy is
		// what the request went through.
		{"explicit, transitively through an SCP: the SCP is to fix", "User: arn:aws:sts::111122223333:assumed-role/role-name/role-session-name is not authorized to perform: \nSNS:Publish on resource: arn:aws:sns:us-east-1:444455556666:role-name-2 \nwith an explicit deny in a VPC endpoint policy transitively through a service control policy",
			&Denial{Kind: KindExplicit, PolicyType: PolicySCP, Via: PolicyVPCEndpoint}},
		{"implicit, transitively through an SCP", head + "because no VPC endpoint policy allows the ecr:ReplicateImage action transitively through a service control policy",
			&Denial{Kind: KindImplicit, PolicyType: PolicySCP, Via: PolicyVPCEndpoint}},
		// The guide's session-policy example spells it "sessions policy".
		{"explicit, 'sessions policy' is a session policy", "User: arn:aws:iam::123456789012:user/JohnDoe is not authorized to perform: \ncodedeploy:ListDeployments on resource: arn:aws:codedeploy:us-east-1:123456789012:deploymentgroup:* with an explicit deny in a sessions policy",
			&Denial{Kind: KindExplicit, PolicyType: PolicySession}},
		{"explicit, the role trust policy", "User: arn:aws:iam::777788889999:user/JohnDoe is not authorized to perform: \nsts:AssumeRole with an explicit deny in the role trust policy",
			&Denial{Kind: KindExplicit, PolicyType: PolicyTrust}},
		{"explicit deny without a policy type", head + "with an explicit deny", &Denial{Kind: KindExplicit}},
		{"explicit deny without a policy type, then a period", head + "with an explicit deny.", &Denial{Kind: KindExplicit}},
		// The guide's SCP example: "with an explicit deny in a service
		// control policy", no resource.
		{"guide's SCP example", "User: arn:aws:iam::777788889999:user/JohnDoe is not authorized to perform: \ncodecommit:ListRepositories with an explicit deny in a service control policy",
			&Denial{Kind: KindExplicit, PolicyType: PolicySCP}},
		{"SCP note: due to an explicit deny in a Service Control Policy", head + "due to an explicit deny in a Service Control Policy", &Denial{Kind: KindExplicit, PolicyType: PolicySCP}},
		{"explicit with policy ARN", head + "with an explicit deny in a service control policy: arn:aws:organizations::999999999999:policy/o-abc/service_control_policy/p-1234",
			&Denial{Kind: KindExplicit, PolicyType: PolicySCP, PolicyARN: "arn:aws:organizations::999999999999:policy/o-abc/service_control_policy/p-1234"}},
		{"authorization id form", "User: arn:aws:iam::123456789012:user/janedoe is not authorized to perform: iam:CreateInstanceProfile on resource: arn:aws:iam::123456789012:instance-profile/my-instance-profile with an explicit deny in an identity-based policy: arn:aws:iam::123456789012:policy/ExampleDenyPolicy. Go to https://us-east-1.console.aws.amazon.com/iam/home?region=us-east-1#/authorization-details/EXAMPLE1a2b3c4d5e6f7g8h9i0j for complete details, or call the GetRequestAuthorizationDetails API with the following authorization id: EXAMPLE1a2b3c4d5e6f7g8h9i0j",
			&Denial{Kind: KindExplicit, PolicyType: PolicyIdentity, PolicyARN: "arn:aws:iam::123456789012:policy/ExampleDenyPolicy", AuthorizationID: "EXAMPLE1a2b3c4d5e6f7g8h9i0j"}},
		{"denied: prefix (docker push)", "denied: " + seedMsg, &Denial{Kind: KindImplicit, PolicyType: PolicyResource}},
		{"CLI prefix", "An error occurred (AccessDeniedException) when calling the ReplicateImage operation: " + seedMsg, &Denial{Kind: KindImplicit, PolicyType: PolicyResource}},
		{"Java SDK suffix", seedMsg + " (Service: AmazonECR; Status Code: 400; Error Code: AccessDeniedException; Request ID: 0e1f; Proxy: null)", &Denial{Kind: KindImplicit, PolicyType: PolicyResource}},
		{"trailing period", seedMsg + ".", &Denial{Kind: KindImplicit, PolicyType: PolicyResource}},
		{"no context (older format)", "User: arn:aws:iam::111111111111:user/bob is not authorized to perform: ecr:ReplicateImage on resource: arn:aws:ecr:ap-northeast-1:222222222222:repository/my-repo", &Denial{Kind: KindUnknown}},
		{"EC2 (explicit deny)", "You are not authorized to perform this operation. User: arn:aws:iam::111111111111:user/tester is not authorized to perform: ec2:RunInstances on resource: role TestReadOnly (explicit deny)", &Denial{Kind: KindExplicit}},
		{"unfamiliar policy type kept", head + "because no bucket ACL policy allows the s3:GetObject action", &Denial{Kind: KindImplicit, PolicyType: "bucket acl policy"}},
		{"not an authorization failure", "Repository my-repo not found in registry 222222222222", nil},
		{"empty", "", nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := ParseDenial(tc.msg)
			if tc.want == nil {
				if ok || got != nil {
					t.Fatalf("ParseDenial = %+v, %v; want nil, false", got, ok)
				}
				return
			}
			if !ok || got == nil || *got != *tc.want {
				t.Fatalf("ParseDenial = %+v, %v\nwant %+v", got, ok, tc.want)
			}
		})
	}
}
