# Answers the ringing call through callctl: .\answer-call.ps1 [-Port 5678] [-Token TOKEN]
param([int]$Port = 5678, [string]$Token)
Import-Module (Join-Path $PSScriptRoot 'CallControl.psd1') -Force
Confirm-Call -Port $Port -Token $Token
