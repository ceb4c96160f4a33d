"""WeChat official-account adapter: signed callbacks in, customer-service messages out."""
