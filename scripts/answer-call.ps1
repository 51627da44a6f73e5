# Answers the ringing call through callctl: .\answer-call.ps1 [-Port PORT] [-Token TOKEN]
param([int]$Port, [string]$Token)
Import-Module (Join-Path $PSScriptRoot 'CallControl.psd1') -Force
Confirm-Call -Port $Port -Token $Token
