from twilio.rest import Client
API_KEY_SID = "SK856911bed6587bf2cfdd010c00b5f353"
