"""manuscript_engine/text"""
