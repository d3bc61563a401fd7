"""IVR menus and voicemail boxes as stored documents, and the numbers they serve."""
