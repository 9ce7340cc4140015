"""Malpractice insurance group program: carriers' programs, enrollments, binding."""
