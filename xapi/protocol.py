"""What every /xapi request and response shares: version header, CORS, alternate request syntax."""
