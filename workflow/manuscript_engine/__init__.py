"""manuscript_engine"""
