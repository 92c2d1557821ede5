SELECT
  eventid,
  sharedeventid,
  eventtime,
  eventsource,
  eventname,
  awsregion,
  recipientaccountid,
  errorcode,
  errormessage,
  useridentity.type AS useridentitytype,
  useridentity.arn AS useridentityarn,
  useridentity.accountid AS useridentityaccountid,
  useridentity.invokedby AS useridentityinvokedby,
  useridentity.principalid AS useridentityprincipalid,
  useridentity.sessioncontext.sessionissuer.arn AS sessionissuerarn,
  array_join(transform(resources, r -> r.arn), ' ') AS resourcearns,
  json_extract_scalar(requestparameters, '$.repositoryName') AS repositoryname,
  json_extract_scalar(requestparameters, '$.registryId') AS registryid
FROM "security"."cloudtrail_logs_org"
WHERE "timestamp" >= ?
  AND eventtime >= ?
  AND (errorcode LIKE 'AccessDenied%' OR errorcode IN ('Client.UnauthorizedOperation', 'UnauthorizedOperation') OR (errorcode IS NOT NULL AND strpos(errormessage, 'not authorized to perform') > 0))
  AND (json_extract_scalar(requestparameters, '$.repositoryName') = ? OR strpos(array_join(transform(resources, r -> r.arn), ' '), ?) > 0 OR strpos(errormessage, ?) > 0)
ORDER BY eventtime DESC
-- parameters
'2024/05/01'
'2024-05-01T00:00:00Z'
'my-repo'
':repository/my-repo'
':repository/my-repo'
