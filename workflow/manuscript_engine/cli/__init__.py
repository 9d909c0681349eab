"""manuscript_engine/cli"""
