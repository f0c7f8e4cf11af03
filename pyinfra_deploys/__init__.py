"""pyinfra deploys for an lvsha cluster, composed in order by deploy.py."""
