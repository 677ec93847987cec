"héllo ✓"
