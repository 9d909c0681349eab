"""manuscript_engine/core"""
