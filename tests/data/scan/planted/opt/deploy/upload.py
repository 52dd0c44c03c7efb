import boto3
client = boto3.client("s3", aws_access_key_id="AKIA8BK7BJKUG5N9S6AJ")
