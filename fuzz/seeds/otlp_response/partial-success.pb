
bad